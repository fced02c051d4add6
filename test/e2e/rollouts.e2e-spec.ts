import { io, type Socket } from 'socket.io-client';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { TestFleet, type FleetHost } from '../support/fleet';
import { waitFor } from '../support/processes';

const GROUPS = { eu: 7, us: 7, asia: 6 } as const;
/** Created but their agents start only after the rollout: they must converge then. */
const OFFLINE = ['asia-03.example.net', 'eu-05.example.net', 'us-02.example.net'];
/** Their qmail-newu fails: the second rollout must halt on them. */
const BROKEN = ['eu-03.example.net', 'eu-04.example.net'];

const ADD_DOMAIN = {
  add: {
    locals: ['new.example'],
    rcpthosts: ['new.example'],
    aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'team@corp.example' }] }],
  },
};
const ADD_ASSIGNMENT = {
  add: { assignments: [{ kind: 'exact', address: 'sales-team', user: 'alias', uid: 7790, gid: 2108, home: '/var/qmail/alias', dash: '-', ext: 'sales-team' }] },
};

/**
 * Rollouts across a fleet of 20 real agents in 3 groups (issue 5, "What it must show"): a dry
 * run with the right diff per host, batches, a halt at maxFailures, offline hosts that
 * converge later, retry and revert, and progress streamed on `/ui`.
 */
describe('rollouts across 20 real agents in 3 groups', () => {
  let ctl: TestController;
  let fleet: TestFleet;
  let ui: Socket;
  const progress: { id: string; status: string; counts: Record<string, number> }[] = [];

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    fleet = new TestFleet(ctl);
    for (const [group, n] of Object.entries(GROUPS))
      for (let i = 1; i <= n; i++) {
        const name = `${group}-${String(i).padStart(2, '0')}.example.net`;
        await fleet.add(name, [group], { start: !OFFLINE.includes(name) });
      }
    for (const group of Object.keys(GROUPS)) {
      const r = await ctl.api('PUT', `/api/groups/${group}/config`, { locals: [`${group}.example`], rcpthosts: [`${group}.example`], assignments: [] });
      expect(r.status).toBe(200);
    }
    await waitFor(
      'every online host applied its group document',
      async () => {
        const hosts = (await ctl.api('GET', '/api/hosts')).body as { name: string; appliedRevision: number; connected: boolean }[];
        return hosts.filter((h) => !OFFLINE.includes(h.name)).every((h) => h.connected && h.appliedRevision === 1);
      },
      60_000,
    );
    ui = io(`${ctl.url}/ui`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'] });
    ui.on('rollout.progress', (s: (typeof progress)[number]) => progress.push(s));
    await new Promise<void>((resolve, reject) => (ui.once('connect', () => resolve()), ui.once('connect_error', reject)));
  }, 120_000);

  afterAll(async () => {
    ui?.close();
    await fleet?.cleanUp();
    await ctl?.stop();
  });

  const online = () => fleet.hosts.filter((h) => !OFFLINE.includes(h.name));
  const rollout = async (id: string) => (await ctl.api('GET', `/api/rollouts/${id}`)).body;
  const until = (id: string, statuses: string[]) =>
    waitFor(
      `rollout ${id} ${statuses.join(' or ')}`,
      async () => {
        const r = await rollout(id);
        return statuses.includes(r.status) ? r : undefined;
      },
      90_000,
    );

  it('a dry run shows each host the diff its own groups would give, and touches nothing', async () => {
    const before = fleet.hosts.map((h) => h.qmail.snapshot());
    const r = await ctl.api('POST', '/api/rollouts', { target: { groups: ['eu', 'us', 'asia'] }, change: ADD_DOMAIN, batchSize: 5, dryRun: true });
    expect(r.status).toBe(200);
    expect(r.body.batches).toBe(4);
    expect(r.body.hosts).toHaveLength(20);
    for (const h of r.body.hosts) {
      const group = h.name.split('-')[0];
      expect(h.outcome).toBe('change');
      expect(h.connected).toBe(!OFFLINE.includes(h.name));
      const locals = h.changes.find((c: { path: string }) => c.path === 'control/locals');
      // An online host reported its files, so the diff is against what it has; an offline one never reported.
      if (OFFLINE.includes(h.name)) expect(locals).toMatchObject({ action: 'create', diff: expect.stringContaining(`+${group}.example\n+new.example\n`) });
      else expect(locals).toMatchObject({ action: 'modify', diff: expect.stringContaining(` ${group}.example\n+new.example\n`) });
      expect(h.changes.find((c: { path: string }) => c.path === 'alias/.qmail-sales')).toMatchObject({ action: 'create', diff: expect.stringContaining('+&team@corp.example\n') });
      // users/assign is new to a host that never applied its group's document.
      expect(h.postSteps).toEqual(OFFLINE.includes(h.name) ? ['qmail-newu', 'hup'] : ['hup']);
    }
    expect(fleet.hosts.map((h) => h.qmail.snapshot())).toEqual(before);
    expect((await ctl.api('GET', '/api/rollouts')).body).toEqual([]);
  });

  let addDomain: string;

  it('rolls out in batches to every online host; offline hosts are reported and converge when they start', async () => {
    const created = await ctl.api('POST', '/api/rollouts', { target: { groups: ['eu', 'us', 'asia'] }, change: ADD_DOMAIN, batchSize: 5, maxFailures: 1 });
    expect(created.status).toBe(201);
    addDomain = created.body.id;
    const done = await until(addDomain, ['completed', 'halted']);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ applied: 17, offline: 3, failed: 0, pending: 0 });
    expect(done.hosts.filter((h: { state: string }) => h.state === 'offline').map((h: { name: string }) => h.name).sort()).toEqual(OFFLINE);

    // Batch by batch: no host of a batch was sent its revision before the batch before it had answered.
    const rows = done.hosts as { batch: number; state: string; sentAt: string; doneAt: string | null }[];
    for (let b = 1; b < done.batches; b++) {
      const previousDone = Math.max(...rows.filter((h) => h.batch === b - 1 && h.state === 'applied').map((h) => Date.parse(h.doneAt!)));
      const thisSent = Math.min(...rows.filter((h) => h.batch === b).map((h) => Date.parse(h.sentAt)));
      expect(thisSent).toBeGreaterThanOrEqual(previousDone);
    }
    for (const h of online()) {
      const group = h.name.split('-')[0];
      expect(h.qmail.read('control/locals')).toBe(`${group}.example\nnew.example\n`);
      expect(h.qmail.read('control/rcpthosts')).toBe(`${group}.example\nnew.example\n`);
      expect(h.qmail.read('alias/.qmail-sales')).toBe('&team@corp.example\n');
    }
    for (const name of OFFLINE) expect(fleet.byName(name).qmail.read('control/locals')).toBeNull();

    // The stream told the same story.
    const mine = progress.filter((p) => p.id === addDomain);
    expect(mine.length).toBeGreaterThan(4);
    expect(mine.at(-1)).toMatchObject({ status: 'completed', counts: expect.objectContaining({ applied: 17 }) });

    for (const name of OFFLINE) fleet.byName(name).start();
    const converged = await waitFor('the offline hosts converge', async () => {
      const r = await rollout(addDomain);
      return r.counts.applied === 20 ? r : undefined;
    });
    expect(converged.status).toBe('completed');
    for (const name of OFFLINE) {
      const group = name.split('-')[0];
      expect(fleet.byName(name).qmail.read('control/locals')).toBe(`${group}.example\nnew.example\n`);
      expect(fleet.byName(name).qmail.read('alias/.qmail-sales')).toBe('&team@corp.example\n');
    }
    await waitFor('the stream saw them converge', () => progress.some((p) => p.id === addDomain && p.counts['applied'] === 20));
  });

  it('halts when failures pass maxFailures and leaves the later batches untouched; retry then mends just the failed hosts', async () => {
    for (const name of BROKEN) fleet.byName(name).qmail.breakQmailNewu();
    const untouched = new Map(fleet.hosts.map((h) => [h.name, h.qmail.snapshot()]));
    const revisions = new Map(((await ctl.api('GET', '/api/hosts')).body as { name: string; desiredRevision: number }[]).map((h) => [h.name, h.desiredRevision]));

    // Sorted by name, asia-01…05 are the first batch of five; eu-03 and eu-04 fall in the second.
    const created = await ctl.api('POST', '/api/rollouts', { target: { groups: ['asia', 'eu', 'us'] }, change: ADD_ASSIGNMENT, batchSize: 5, maxFailures: 1 });
    expect(created.status).toBe(201);
    const halted = await until(created.body.id, ['halted', 'completed']);
    expect(halted.status).toBe('halted');
    expect(halted.reason).toBe('2 host(s) failed, more than maxFailures 1');
    expect(halted.batch).toBe(1);
    const byState = (state: string) => halted.hosts.filter((h: { state: string }) => h.state === state).map((h: { name: string }) => h.name);
    expect(byState('failed').sort()).toEqual(BROKEN);
    for (const h of halted.hosts.filter((x: { state: string }) => x.state === 'failed')) expect(h.error).toContain('qmail-newu');
    expect(byState('applied')).toHaveLength(8);
    expect(byState('pending')).toEqual(halted.hosts.filter((h: { batch: number }) => h.batch >= 2).map((h: { name: string }) => h.name));
    expect(byState('pending')).toHaveLength(10);

    for (const h of fleet.hosts) {
      const row = halted.hosts.find((x: { name: string }) => x.name === h.name);
      if (row.state === 'applied') expect(h.qmail.read('users/assign')).toBe('=sales-team:alias:7790:2108:/var/qmail/alias:-:sales-team:\n.\n');
      else {
        // The failed hosts rolled back (users/cdb included); the last batch got no new revision at all.
        expect(h.qmail.snapshot()).toEqual({ ...untouched.get(h.name), ...(row.state === 'failed' ? { 'bin/calls.log': h.qmail.read('bin/calls.log') } : {}) });
        if (row.state === 'pending') expect((await ctl.host(h.id)).desiredRevision).toBe(revisions.get(h.name));
      }
    }

    // Mend qmail-newu on the two hosts; a retry goes to them alone.
    for (const name of BROKEN) fleet.byName(name).qmail.installStandIn('qmail-newu', require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'tools', 'stand-ins', 'qmail-newu'), 'utf8'));
    const retry = await ctl.api('POST', `/api/rollouts/${created.body.id}/retry`, {});
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ kind: 'retry', parentId: created.body.id });
    expect(retry.body.hosts.map((h: { name: string }) => h.name).sort()).toEqual(BROKEN);
    const retried = await until(retry.body.id, ['completed', 'halted']);
    expect(retried.status).toBe('completed');
    expect(retried.counts.applied).toBe(2);
    for (const name of BROKEN) expect(fleet.byName(name).qmail.read('users/assign')).toContain('=sales-team:');
    expect((await ctl.api('POST', `/api/rollouts/${retry.body.id}/retry`, {})).status).toBe(409);
  });

  it('reverts a finished rollout with a new revision per host restoring its previous document', async () => {
    const assignment = (await ctl.api('GET', '/api/rollouts')).body.find((r: { kind: string; status: string }) => r.kind === 'change' && r.status === 'halted');
    const rows = (await rollout(assignment.id)).hosts as { name: string; state: string }[];
    const reached = rows.filter((h) => h.state !== 'pending').map((h) => h.name);

    // The hosts the assignment rollout reached have a later revision: their part of the revert
    // is skipped, never undoing a later change behind its back. The others go back.
    const revert = await ctl.api('POST', `/api/rollouts/${addDomain}/revert`, { batchSize: 10 });
    expect(revert.status).toBe(201);
    expect(revert.body).toMatchObject({ kind: 'revert', parentId: addDomain });
    const done = await until(revert.body.id, ['completed', 'halted']);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ skipped: 10, applied: 10 });
    for (const h of done.hosts) {
      const host = fleet.byName(h.name);
      const group = h.name.split('-')[0];
      if (reached.includes(h.name)) {
        expect(h.state).toBe('skipped');
        expect(h.error).toMatch(/^changed since: the host is at revision \d+, the rollout left it at \d+/);
        expect(host.qmail.read('control/locals')).toBe(`${group}.example\nnew.example\n`);
      } else {
        expect(h.state).toBe('applied');
        expect(host.qmail.read('control/locals')).toBe(`${group}.example\n`);
        expect(host.qmail.read('control/rcpthosts')).toBe(`${group}.example\n`);
        // The alias file the rollout wrote goes too.
        expect(host.qmail.exists('alias/.qmail-sales')).toBe(false);
      }
    }

    // The halted rollout reverts on the hosts it reached, the two that failed and were retried included.
    const undo = await ctl.api('POST', `/api/rollouts/${assignment.id}/revert`, {});
    expect(undo.status).toBe(201);
    const undone = await until(undo.body.id, ['completed', 'halted']);
    expect(undone.counts).toMatchObject({ applied: 10, skipped: 0 });
    for (const name of reached) {
      expect(fleet.byName(name).qmail.read('users/assign')).toBe('.\n');
      expect(fleet.byName(name).qmail.read('control/locals')).toContain('new.example');
    }
    const retry = (await ctl.api('GET', '/api/rollouts')).body.find((r: { kind: string }) => r.kind === 'retry');
    expect((await ctl.api('POST', `/api/rollouts/${retry.id}/revert`, {})).body.message).toMatch(/changed no host/);
  });

  it('writes who did what to the audit log, filterable by actor, action, target and time', async () => {
    const since = new Date(Date.now() - 3600_000).toISOString();
    const creates = await ctl.api('GET', `/api/audit?action=rollout.create&since=${since}`);
    expect(creates.status).toBe(200);
    expect(creates.body.map((e: { target: string }) => e.target)).toContain(`rollout:${addDomain}`);
    expect(creates.body.every((e: { action: string; actor: string }) => e.action === 'rollout.create' && e.actor === 'QFLEET_ADMIN_TOKEN (admin)')).toBe(true);
    const perHost = await ctl.api('GET', `/api/audit?action=rollout.apply&target=host:${fleet.hosts[0].id}`);
    expect(perHost.body.length).toBeGreaterThanOrEqual(2);
    expect(perHost.body[0].diff.document).toContain('+');
    expect((await ctl.api('GET', `/api/audit?actor=nobody-by-that-name`)).body).toEqual([]);
    expect((await ctl.api('GET', `/api/audit?until=2000-01-01T00:00:00Z`)).body).toEqual([]);
    expect((await ctl.api('GET', `/api/audit?since=yesterday`)).status).toBe(400);
  });

  it('keeps every host’s applies in order, each revision once (a failed one again only when retried)', () => {
    for (const h of fleet.hosts as FleetHost[]) {
      const log = h.appliedLog();
      expect(log.length).toBeGreaterThan(0);
      for (let i = 1; i < log.length; i++) {
        if (BROKEN.includes(h.name)) expect(log[i]).toBeGreaterThanOrEqual(log[i - 1]);
        else expect(log[i]).toBeGreaterThan(log[i - 1]);
      }
    }
  });
});
