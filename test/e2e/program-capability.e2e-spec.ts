import { TestController } from '../support/controller';
import { TestFleet, type FleetHost } from '../support/fleet';
import { testDatabases } from '../support/databases';
import { waitFor } from '../support/processes';

/**
 * Issue 10, hole 5: a `|program` delivery runs `sh -c` as the alias user (or an assigned uid)
 * on every host that gets it, and an assignment decides that uid. Only admins add or alter
 * them, unless the controller's QFLEET_PROGRAM_ALLOWLIST names the program; every such change
 * is visible in the write's answer, the plan, the rollout dry run and the audit.
 */
const ALLOWED = '/usr/local/bin/qfleet-test-allowed';
const INFO = { name: 'info', destinations: [{ kind: 'forward', value: 'info@example.com' }] };
const BOT = { name: 'bot', destinations: [{ kind: 'forward', value: 'bot@example.com' }, { kind: 'program', value: '/usr/bin/id' }] };
const JOE = { kind: 'exact', address: 'joe', user: 'joe', uid: 1000, gid: 100, home: '/home/joe' };
const PROGRAM_REFUSAL = 'program deliveries need the admin role or a program on QFLEET_PROGRAM_ALLOWLIST';

describe.each(testDatabases())('program deliveries and assignments as a capability, on the %s database', (db) => {
  let ctl: TestController;
  let fleet: TestFleet;
  let operator: string;
  let live: FleetHost;

  const asOperator = (method: string, route: string, body?: unknown) => ctl.api(method, route, body, operator);
  const applied = (h: FleetHost, revision: number) =>
    waitFor(`${h.name} applied revision ${revision}`, async () => {
      const v = await ctl.host(h.id);
      return v.appliedRevision === revision && v.desiredRevision === revision;
    });

  beforeAll(async () => {
    ctl = await TestController.start(db, { QFLEET_PROGRAM_ALLOWLIST: `${ALLOWED},/usr/bin/procmail` });
    fleet = new TestFleet(ctl);
    const t = await ctl.api('POST', '/api/tokens', { name: 'on call', role: 'operator' });
    operator = t.body.token;
    live = await fleet.add('mx1.example.net', []);
    await waitFor('the agent to connect', async () => (await ctl.host(live.id)).connected);
    expect((await ctl.api('PUT', `/api/hosts/${live.id}/config`, { aliases: [INFO], assignments: [] })).status).toBe(200);
    await applied(live, 1);
  });
  afterAll(async () => {
    await fleet?.cleanUp();
    await ctl?.stop();
  });

  it('refuses an operator a program delivery with 403 naming the field, and stores nothing', async () => {
    const put = await asOperator('PUT', `/api/hosts/${live.id}/config`, { aliases: [INFO, BOT], assignments: [] });
    expect(put.status).toBe(403);
    expect(put.body.fields).toEqual([{ path: 'aliases[1].destinations[1]', message: expect.stringContaining(PROGRAM_REFUSAL) }]);
    expect(put.body.message).toContain(`aliases[1].destinations[1]: ${PROGRAM_REFUSAL}`);
    const patch = await asOperator('PATCH', `/api/hosts/${live.id}/config`, { aliases: [BOT] });
    expect(patch.status).toBe(403);
    expect(patch.body.fields[0].path).toBe('aliases[0].destinations[1]');

    expect((await ctl.api('GET', `/api/hosts/${live.id}/config`)).body).toEqual({ revision: 1, document: { aliases: [INFO], assignments: [] } });
    expect((await ctl.host(live.id)).desiredRevision).toBe(1);
    const audit = (await ctl.api('GET', `/api/audit?action=config&target=host:${live.id}`)).body;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['config.put']);
    expect(live.qmail.exists('alias/.qmail-bot')).toBe(false);
  });

  it('lets an admin add one, and the answer, the plan and the audit mark it privileged', async () => {
    const offline = await fleet.add('mx-offline.example.net', [], { start: false });
    const put = await ctl.api('PUT', `/api/hosts/${offline.id}/config`, { aliases: [INFO, BOT] });
    expect(put.status).toBe(200);
    const item = { path: 'aliases[1].destinations[1]', kind: 'program', value: '/usr/bin/id' };
    expect(put.body.privileged).toEqual([item]);
    // The host has applied nothing yet: its plan brings the program.
    expect((await ctl.api('GET', `/api/hosts/${offline.id}/plan`)).body.privileged).toEqual([item]);

    const marked = (await ctl.api('GET', `/api/audit?privileged=true&target=host:${offline.id}`)).body;
    expect(marked).toHaveLength(1);
    expect(marked[0].diff.privileged).toEqual([item]);
    expect(marked[0].actor).toContain('(admin)');

    // On the live host it reaches the disk; once applied the plan has nothing privileged left.
    expect((await ctl.api('PUT', `/api/hosts/${live.id}/config`, { aliases: [INFO, BOT], assignments: [] })).body.privileged).toEqual([item]);
    await applied(live, 2);
    expect(live.qmail.read('alias/.qmail-bot')).toBe('&bot@example.com\n|/usr/bin/id\n');
    expect((await ctl.api('GET', `/api/hosts/${live.id}/plan`)).body.privileged).toEqual([]);

    // A program already there is not the operator's to answer for: other edits go through.
    const other = await asOperator('PUT', `/api/hosts/${live.id}/config`, { databytes: 1000, aliases: [INFO, BOT], assignments: [] });
    expect(other.status).toBe(200);
    expect(other.body.privileged).toEqual([]);
    await applied(live, 3);
    const unmarked = (await ctl.api('GET', `/api/audit?privileged=true&target=host:${live.id}`)).body;
    expect(unmarked.map((e: { diff: { revision: number } }) => e.diff.revision)).toEqual([2]);
  });

  it('lets an operator run an allowlisted program with plain arguments, and nothing chained to it', async () => {
    const host = await fleet.add('mx-allow.example.net', [], { start: false });
    const ok = await asOperator('PUT', `/api/hosts/${host.id}/config`, { aliases: [{ name: 'sort', destinations: [{ kind: 'program', value: `${ALLOWED} -t $EXT` }] }] });
    expect(ok.status).toBe(200);
    expect(ok.body.privileged).toEqual([{ path: 'aliases[0].destinations[0]', kind: 'program', value: `${ALLOWED} -t $EXT` }]);
    const chained = await asOperator('PUT', `/api/hosts/${host.id}/config`, { aliases: [{ name: 'sort', destinations: [{ kind: 'program', value: `${ALLOWED} -t; /usr/bin/id` }] }] });
    expect(chained.status).toBe(403);
    expect(chained.body.fields[0].message).toContain('shell syntax');
    expect((await ctl.host(host.id)).desiredRevision).toBe(1);
  });

  it('refuses an operator an assignment, lets an admin add it and the operator remove it', async () => {
    const host = await fleet.add('mx-assign.example.net', [], { start: false });
    const refused = await asOperator('PUT', `/api/hosts/${host.id}/config`, { assignments: [JOE] });
    expect(refused.status).toBe(403);
    expect(refused.body.fields).toEqual([{ path: 'assignments[0]', message: expect.stringContaining('assignments decide the uid mail is delivered as') }]);
    expect((await ctl.host(host.id)).desiredRevision).toBe(0);
    const admin = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { assignments: [JOE] });
    expect(admin.body.privileged).toEqual([{ path: 'assignments[0]', kind: 'assignment', value: '=joe joe 1000:100 /home/joe' }]);
    expect((await asOperator('PUT', `/api/hosts/${host.id}/config`, { assignments: [{ ...JOE, uid: 1001 }] })).status).toBe(403);
    const removed = await asOperator('PUT', `/api/hosts/${host.id}/config`, { assignments: [] });
    expect(removed.status).toBe(200);
    expect(removed.body.privileged).toEqual([]);
  });

  it('refuses an operator rollout, dry run or real, that adds a program; an admin dry run shows it per host', async () => {
    const change = { add: { aliases: [{ name: 'hook', destinations: [{ kind: 'program', value: '/usr/bin/id -u' }] }] } };
    const before = (await ctl.api('GET', '/api/rollouts')).body.length;
    for (const dryRun of [true, false]) {
      const r = await asOperator('POST', '/api/rollouts', { target: { hosts: [live.id] }, change, dryRun });
      expect(r.status).toBe(403);
      expect(r.body.fields).toEqual([{ path: 'change.add.aliases[0].destinations[0]', message: expect.stringContaining(PROGRAM_REFUSAL) }]);
    }
    expect((await ctl.api('GET', '/api/rollouts')).body).toHaveLength(before);
    expect((await ctl.host(live.id)).desiredRevision).toBe(3);

    const preview = await ctl.api('POST', '/api/rollouts', { target: { hosts: [live.id] }, change, dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body.hosts[0].privileged).toEqual([{ path: 'aliases[2].destinations[0]', kind: 'program', value: '/usr/bin/id -u' }]);
  });

  it("lets an operator remove a program alias, and refuses the operator's revert that would bring it back", async () => {
    const removal = await asOperator('POST', '/api/rollouts', { target: { hosts: [live.id] }, change: { remove: { aliases: [{ name: 'bot' }] } }, dryRun: false });
    expect(removal.status).toBe(201);
    const done = await waitFor('the removal to finish', async () => {
      const r = (await ctl.api('GET', `/api/rollouts/${removal.body.id}`)).body;
      return r.status === 'completed' && r;
    });
    expect(done.hosts[0].state).toBe('applied');
    await applied(live, 4);
    expect(live.qmail.exists('alias/.qmail-bot')).toBe(false);

    const revert = await asOperator('POST', `/api/rollouts/${removal.body.id}/revert`, {});
    expect(revert.status).toBe(403);
    expect(revert.body.fields[0].path).toBe('hosts.mx1.example.net.aliases[1].destinations[1]');
    expect((await ctl.host(live.id)).desiredRevision).toBe(4);
  });

  it('refuses an operator a group program, and a host move into a group that has one', async () => {
    expect((await ctl.api('POST', '/api/groups', { name: 'hooks' })).status).toBe(201);
    const refused = await asOperator('PUT', '/api/groups/hooks/config', { aliases: [BOT] });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/^group hooks: privileged change refused: aliases\[0\]\.destinations\[1\]/);
    expect((await ctl.api('GET', '/api/groups/hooks/config')).body).toEqual({ revision: 0, document: {} });

    const admin = await ctl.api('PUT', '/api/groups/hooks/config', { aliases: [BOT] });
    expect(admin.status).toBe(200);
    expect(admin.body.privileged).toEqual([{ path: 'aliases[0].destinations[1]', kind: 'program', value: '/usr/bin/id' }]);
    expect((await ctl.api('GET', '/api/audit?privileged=true&target=group:hooks')).body).toHaveLength(1);

    // Joining the group would hand the live host the program: the membership stays as it was.
    const move = await asOperator('PATCH', `/api/hosts/${live.id}`, { groups: ['hooks'] });
    expect(move.status).toBe(403);
    expect(move.body.fields[0].path).toBe('effective.aliases[0].destinations[1]');
    expect((await ctl.host(live.id)).groups).toEqual([]);
    expect((await ctl.host(live.id)).desiredRevision).toBe(4);
  });
});
