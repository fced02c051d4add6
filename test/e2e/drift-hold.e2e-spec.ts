import { TestController } from '../support/controller';
import { ConnectedHosts } from '../support/connected-hosts';
import { testDatabases } from '../support/databases';
import { waitFor } from '../support/processes';

const HELD = 'drift on control/locals: adopt or revert first';

/**
 * Issue 12, point 5: a rollout or a group change never erases an edit on a host that the
 * operator has been shown as drift and not decided on. The host is held, with the reason,
 * until the drift is adopted or reverted, or the rollout says to overwrite it.
 */
describe.each(testDatabases())('drift holds a rollout on the %s database', (db) => {
  let ctl: TestController;
  const hosts = new ConnectedHosts();

  beforeAll(async () => {
    ctl = await TestController.start(db);
  });
  afterAll(async () => {
    await hosts.cleanUp();
    await ctl?.stop();
  });

  /** A host at revision 1 whose control/locals was then edited by hand and shows as drift. */
  async function driftedHost(name: string) {
    const { host, qmail } = await hosts.connect(ctl, name, { config: { locals: ['a.example'], rcpthosts: ['a.example'] } });
    await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
    qmail.write('control/locals', 'a.example\n# added by hand while debugging\nhand.example\n');
    // Only locals: a report from before revision 1 was applied lacks every file and shows them all as drift.
    await waitFor('drift on control/locals only', async () => JSON.stringify((await ctl.host(host.id)).drift) === '["control/locals"]');
    return { host, qmail };
  }

  const rollout = async (body: object) => {
    const r = await ctl.api('POST', '/api/rollouts', { batchSize: 10, ...body });
    expect([200, 201]).toContain(r.status);
    return r.body;
  };
  const finished = (id: string) =>
    waitFor(`rollout ${id} to finish`, async () => {
      const v = (await ctl.api('GET', `/api/rollouts/${id}`)).body;
      return v.status === 'running' ? undefined : v;
    });

  it('holds a host whose drifted locals a rollout would rewrite; adopting lets the change through and keeps the edit', async () => {
    const { host, qmail } = await driftedHost(`held-${db}.example.net`);
    const edited = qmail.read('control/locals');
    const change = { add: { rcpthosts: ['b.example'] } };

    const dry = await rollout({ target: { hosts: [host.id] }, change, dryRun: true });
    expect(dry.hosts).toEqual([expect.objectContaining({ outcome: 'held', error: expect.stringContaining(HELD) })]);

    const started = await rollout({ target: { hosts: [host.id] }, change });
    const done = await finished(started.id);
    expect(done.status).toBe('completed');
    expect(done.counts.held).toBe(1);
    expect(done.hosts).toEqual([expect.objectContaining({ state: 'held', error: expect.stringContaining(HELD), revision: 2 })]);
    // The revision is stored, not sent: the edit and the old rcpthosts are still on disk after more reports.
    const seen = (await ctl.host(host.id)).lastSeen;
    await waitFor('two more reports', async () => (await ctl.host(host.id)).lastSeen > seen);
    const h = await ctl.host(host.id);
    expect([h.desiredRevision, h.appliedRevision]).toEqual([2, 1]);
    expect(qmail.read('control/locals')).toBe(edited);
    expect(qmail.read('control/rcpthosts')).toBe('a.example\n');

    const adopted = await ctl.api('POST', `/api/hosts/${host.id}/drift/adopt`);
    expect(adopted.status).toBe(200);
    await waitFor('the adopted revision applied', async () => (await ctl.host(host.id)).appliedRevision === adopted.body.revision);
    expect(qmail.read('control/rcpthosts')).toBe('a.example\nb.example\n');
    expect(qmail.read('control/locals')).toBe(edited); // adopted as it is, comment and all
    const after = await waitFor('the held row applied', async () => {
      const v = (await ctl.api('GET', `/api/rollouts/${started.id}`)).body;
      return v.hosts[0].state === 'applied' ? v : undefined;
    });
    expect(after.counts.held).toBe(0);
  });

  it('a rollout with overwriteDrift applies over the edit', async () => {
    const { host, qmail } = await driftedHost(`overwrite-${db}.example.net`);
    const started = await rollout({ target: { hosts: [host.id] }, change: { add: { rcpthosts: ['b.example'] } }, overwriteDrift: true });
    expect(started.overwriteDrift).toBe(true);
    const done = await finished(started.id);
    expect(done.hosts).toEqual([expect.objectContaining({ state: 'applied', error: null })]);
    expect(qmail.read('control/locals')).toBe('a.example\n');
    expect(qmail.read('control/rcpthosts')).toBe('a.example\nb.example\n');
  });

  it('a group change holds a drifted member too, until the drift is reverted', async () => {
    const { host, qmail } = await driftedHost(`group-${db}.example.net`);
    const edited = qmail.read('control/locals');
    expect((await ctl.api('POST', '/api/groups', { name: `edge-${db}` })).status).toBe(201);
    expect((await ctl.api('PATCH', `/api/hosts/${host.id}`, { groups: [`edge-${db}`] })).status).toBe(200);
    const put = await ctl.api('PUT', `/api/groups/edge-${db}/config`, { rcpthosts: ['c.example'] });
    expect(put.status).toBe(200);
    const seen = (await ctl.host(host.id)).lastSeen;
    await waitFor('more reports', async () => (await ctl.host(host.id)).lastSeen > seen);
    const h = await ctl.host(host.id);
    expect(h.appliedRevision).toBe(1);
    expect(h.desiredRevision).toBeGreaterThan(1);
    expect(qmail.read('control/locals')).toBe(edited);

    expect((await ctl.api('POST', `/api/hosts/${host.id}/drift/revert`)).status).toBe(200);
    await waitFor('the group change applied', async () => (await ctl.host(host.id)).appliedRevision === h.desiredRevision);
    expect(qmail.read('control/locals')).toBe('a.example\n');
    expect(qmail.read('control/rcpthosts')).toBe('c.example\na.example\n'); // the group's entries come first
  });
});
