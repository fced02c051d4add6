import { GROUP_PLAN_MEMBERS, type GroupConfigDryRunView, type GroupMemberPlan } from '@qfleet/protocol';
import { TestController } from '../support/controller';
import { testDatabases } from '../support/databases';
import { TestFleet } from '../support/fleet';
import { waitFor } from '../support/processes';

/**
 * Issue 13: a group's config write answers its plan before it is made
 * (`PUT|PATCH /api/groups/:name/config?dryRun=true`): each member's file changes and
 * post-steps, or why its new document would be refused, and nothing is stored or sent.
 */
describe.each(testDatabases())('a group config dry run on the %s database', (db) => {
  let ctl: TestController;
  let fleet: TestFleet;

  beforeAll(async () => {
    ctl = await TestController.start(db);
    fleet = new TestFleet(ctl);
  });
  afterAll(async () => {
    await fleet?.cleanUp();
    await ctl?.stop();
  });

  const revisions = async () => {
    // No parameter: every host, by name.
    const list: { name: string; desiredRevision: number }[] = (await ctl.api('GET', '/api/hosts')).body;
    return Object.fromEntries(list.map((h) => [h.name, h.desiredRevision]));
  };

  it("answers every member's plan, refuses a bad field with a 400, and changes nothing", async () => {
    expect((await ctl.api('POST', '/api/groups', { name: 'eu' })).status).toBe(201);
    const a = await fleet.add('a1.example.net', ['eu']);
    const c = await fleet.add('c1.example.net', ['eu']);
    const outside = await fleet.add('d1.example.net', []);
    expect((await ctl.api('PUT', `/api/hosts/${c.id}/config`, { openRelay: true })).status).toBe(200);
    expect((await ctl.api('PUT', '/api/groups/eu/config', { locals: ['eu.example'], rcpthosts: ['eu.example'], databytes: 1000 })).status).toBe(200);
    await waitFor('a and c applied what eu says', async () => {
      const [ha, hc] = await Promise.all([ctl.host(a.id), ctl.host(c.id)]);
      return ha.appliedRevision === ha.desiredRevision && ha.desiredRevision === 1 && hc.appliedRevision === hc.desiredRevision && hc.desiredRevision === 2;
    });
    expect(c.qmail.read('control/databytes')).toBe('1000\n');
    // More members than the answer details: hosts without an agent (they never reported a file).
    const extra = Array.from({ length: GROUP_PLAN_MEMBERS + 1 }, (_, i) => ({ name: `z${String(i).padStart(2, '0')}.example.net`, groups: ['eu'] }));
    expect((await ctl.api('POST', '/api/hosts/bulk', { hosts: extra })).status).toBe(201);

    const before = { revisions: await revisions(), group: (await ctl.api('GET', '/api/groups/eu/config')).body, a: a.qmail.snapshot(), c: c.qmail.snapshot() };
    // rcpthosts removed by the group: refused where the member does not say openRelay (a, the z hosts), planned for c.
    const next = { locals: ['eu.example', 'new.example'], rcpthosts: null, databytes: 2000 };
    const dry = await ctl.api<GroupConfigDryRunView>('PUT', '/api/groups/eu/config?dryRun=true', next);
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.revision).toBe(before.group.revision);
    expect(dry.body.counts).toEqual({ members: GROUP_PLAN_MEMBERS + 3, changed: 1, refused: GROUP_PLAN_MEMBERS + 2 });
    expect(dry.body.members).toHaveLength(GROUP_PLAN_MEMBERS);
    expect(dry.body.more).toBe(3);
    const member = (name: string) => dry.body.members.find((m) => m.name === name) as GroupMemberPlan;
    expect(dry.body.members.slice(0, 2).map((m) => m.name)).toEqual(['a1.example.net', 'c1.example.net']);
    expect(member('a1.example.net').error).toMatch(/rcpthosts.*open relay/);
    expect(member('a1.example.net').changes).toEqual([]);
    const planC = member('c1.example.net');
    expect(planC.error).toBeUndefined();
    expect(planC.revision).toBe(2);
    expect(planC.changes.map((ch) => [ch.path, ch.action]).sort()).toEqual([
      ['control/databytes', 'modify'],
      ['control/locals', 'modify'],
      ['control/rcpthosts', 'remove'],
    ]);
    expect(planC.changes.find((ch) => ch.path === 'control/locals')?.diff).toContain('+new.example');
    expect(planC.changes.find((ch) => ch.path === 'control/databytes')?.diff).toMatch(/-1000\n\+2000/);
    expect(planC.postSteps.length).toBeGreaterThan(0);

    // PATCH answers the same way, from the merged document.
    const patched = await ctl.api<GroupConfigDryRunView>('PATCH', '/api/groups/eu/config?dryRun=true', { databytes: 3000 });
    expect(patched.status).toBe(200);
    expect(patched.body.counts).toEqual({ members: GROUP_PLAN_MEMBERS + 3, changed: GROUP_PLAN_MEMBERS + 3, refused: 0 });
    expect(patched.body.members.find((m) => m.name === 'a1.example.net')?.changes.map((ch) => ch.path)).toEqual(['control/databytes']);

    // The same 400 as the write, naming the field; a bad query value is named too.
    const bad = await ctl.api('PUT', '/api/groups/eu/config?dryRun=true', { databytes: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { path: string }) => f.path)).toContain('databytes');
    const badQuery = await ctl.api('PUT', '/api/groups/eu/config?dryRun=maybe', next);
    expect(badQuery.status).toBe(400);
    expect(JSON.stringify(badQuery.body)).toContain('dryRun');

    // Nothing stored: no revision moved, the group's document is as it was.
    expect(await revisions()).toEqual(before.revisions);
    expect((await ctl.api('GET', '/api/groups/eu/config')).body).toEqual(before.group);
    // Nothing sent: a later revision to another host is applied, and the members' trees are as they were.
    expect((await ctl.api('PUT', `/api/hosts/${outside.id}/config`, { locals: ['d.example'], rcpthosts: ['d.example'] })).status).toBe(200);
    await waitFor('the outside host applied', async () => (await ctl.host(outside.id)).appliedRevision === 1);
    expect(a.qmail.snapshot()).toEqual(before.a);
    expect(c.qmail.snapshot()).toEqual(before.c);

    // The real write does what the dry run said.
    const real = await ctl.api('PUT', '/api/groups/eu/config', next);
    expect(real.status).toBe(200);
    expect(real.body.hosts.filter((h: { error?: string }) => h.error).length).toBe(GROUP_PLAN_MEMBERS + 2);
    await waitFor('c applied revision 3', async () => (await ctl.host(c.id)).appliedRevision === 3);
    expect(c.qmail.read('control/locals')).toBe('eu.example\nnew.example\n');
    expect(c.qmail.read('control/databytes')).toBe('2000\n');
    expect(c.qmail.exists('control/rcpthosts')).toBe(false);
  });
});
