import path from 'node:path';
import { io } from 'socket.io-client';
import { TestController } from '../support/controller';
import { TestFleet } from '../support/fleet';
import { QueueFixture } from '../support/queue-fixture';
import { waitFor } from '../support/processes';

/** Steering a rollout: refusals that name the field, pause/resume/cancel, the health gate. */
describe('rollout controls', () => {
  let ctl: TestController;
  let fleet: TestFleet;
  const queues: QueueFixture[] = [];

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    fleet = new TestFleet(ctl);
    for (let i = 1; i <= 4; i++) {
      const host = await fleet.add(`mx-${i}.example.net`, ['mx'], { agentArgs: ['--queue-interval', '1'] });
      queues.push(new QueueFixture(path.join(host.qmail.home, 'queue')));
    }
    expect((await ctl.api('PUT', '/api/groups/mx/config', { locals: ['mx.example'], rcpthosts: ['mx.example'] })).status).toBe(200);
    await waitFor('all four applied', async () => ((await ctl.api('GET', '/api/hosts')).body as { appliedRevision: number; queue: unknown }[]).every((h) => h.appliedRevision === 1 && h.queue), 60_000);
  }, 120_000);

  afterAll(async () => {
    await fleet?.cleanUp();
    await ctl?.stop();
  });

  const get = async (id: string) => (await ctl.api('GET', `/api/rollouts/${id}`)).body;
  const until = (id: string, statuses: string[]) => waitFor(`rollout ${statuses.join('/')}`, async () => ((r) => (statuses.includes(r.status) ? r : undefined))(await get(id)), 60_000);

  it('refuses a bad rollout with a 400 naming the field, and creates nothing', async () => {
    const bad = await ctl.api('POST', '/api/rollouts', { target: { groups: ['mx'] }, change: { add: { locals: 'x.example' } }, batchSize: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['batchSize', 'change.add.locals']);
    const crlf = await ctl.api('POST', '/api/rollouts', { target: { groups: ['mx'] }, change: { add: { locals: ['evil.example\nrelay.example'] } } });
    expect(crlf.status).toBe(400);
    expect(crlf.body.fields[0].path).toBe('change.add.locals[0]');
    const nobody = await ctl.api('POST', '/api/rollouts', { target: { groups: ['mx', 'nope'], hosts: ['00000000-0000-4000-8000-000000000000'] }, change: { add: { locals: ['x.example'] } } });
    expect(nobody.status).toBe(400);
    expect(nobody.body.fields).toEqual([
      { path: 'target.hosts[0]', message: 'no host with id 00000000-0000-4000-8000-000000000000' },
      { path: 'target.groups[1]', message: 'no host is in group nope' },
    ]);
    const empty = await ctl.api('POST', '/api/rollouts', { target: {}, change: { add: { locals: ['x.example'] } } });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toContain('give hosts, groups or names');
    const noMatch = await ctl.api('POST', '/api/rollouts', { target: { names: ['mx-9*', 'mx-1.example.net'] }, change: { add: { locals: ['x.example'] } } });
    expect(noMatch.status).toBe(400);
    expect(noMatch.body.fields).toEqual([{ path: 'target.names[0]', message: 'no host name matches mx-9*' }]);
    const badPattern = await ctl.api('POST', '/api/rollouts', { target: { names: ['mx/{1,2}'] }, change: { add: { locals: ['x.example'] } } });
    expect(badPattern.body.fields[0].path).toBe('target.names[0]');
    expect((await ctl.api('POST', '/api/rollouts', { target: { groups: ['mx'] }, change: {} })).body.message).toContain('give add, remove or set');
    expect((await ctl.api('GET', '/api/rollouts/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await ctl.api('GET', '/api/rollouts')).body).toEqual([]);
  });

  it('targets hosts by name pattern, alone or with groups and ids', async () => {
    const names = async (target: unknown) => (await ctl.api('POST', '/api/rollouts', { target, change: { add: { locals: ['x.example'] } }, dryRun: true })).body.hosts.map((h: { name: string }) => h.name);
    expect(await names({ names: ['MX-?.example.net'] })).toEqual(['mx-1.example.net', 'mx-2.example.net', 'mx-3.example.net', 'mx-4.example.net']);
    expect(await names({ names: ['mx-1*', '*-3.example.net'] })).toEqual(['mx-1.example.net', 'mx-3.example.net']);
    expect(await names({ names: ['mx-1*'], hosts: [fleet.hosts[3].id] })).toEqual(['mx-1.example.net', 'mx-4.example.net']);
  });

  it('skips a host where the change would take over a file it does not manage', async () => {
    const r = await ctl.api('POST', '/api/rollouts', { target: { groups: ['mx'] }, change: { add: { smtproutes: [{ domain: 'corp.example', relay: 'relay.corp.example' }] } }, dryRun: true });
    expect(r.status).toBe(200);
    expect(r.body.hosts.map((h: { outcome: string }) => h.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(r.body.hosts[0].error).toContain('smtproutes is not managed on this host');
  });

  it('pauses after the batch in flight, resumes, and a cancel leaves the rest untouched', async () => {
    const settle = { settleSeconds: 2, maxQueueGrowth: 1000 };
    const created = await ctl.api('POST', '/api/rollouts', { target: { groups: ['mx'] }, change: { set: { databytes: 1000000 } }, batchSize: 1, health: settle });
    const id = created.body.id;
    const paused = await ctl.api('POST', `/api/rollouts/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    expect((await ctl.api('POST', `/api/rollouts/${id}/pause`)).status).toBe(409);
    // The batch in flight finishes; no other starts.
    await waitFor('batch 1 done', async () => (await get(id)).counts.applied === 1);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await get(id)).counts).toMatchObject({ applied: 1, pending: 3 });
    expect(fleet.hosts.filter((h) => h.qmail.read('control/databytes') === '1000000\n')).toHaveLength(1);

    expect((await ctl.api('POST', `/api/rollouts/${id}/resume`)).body.status).toBe('running');
    await waitFor('batch 2 done', async () => (await get(id)).counts.applied === 2);
    const cancelled = await ctl.api('POST', `/api/rollouts/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.reason).toMatch(/^cancelled by QFLEET_ADMIN_TOKEN \(admin\)/);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await get(id);
    expect(after.status).toBe('cancelled');
    expect(after.counts.pending).toBeGreaterThanOrEqual(1);
    expect(fleet.hosts.filter((h) => h.qmail.read('control/databytes') === '1000000\n')).toHaveLength(after.counts.applied);
    expect((await ctl.api('POST', `/api/rollouts/${id}/resume`)).status).toBe(409);
    const audit = (await ctl.api('GET', `/api/audit?action=rollout&target=rollout:${id}`)).body.map((e: { action: string }) => e.action);
    expect(audit.sort()).toEqual(['rollout.cancel', 'rollout.create', 'rollout.pause', 'rollout.resume']);
  });

  it('a health gate that sees a queue grow reverts the batch and halts', async () => {
    const [first, second] = fleet.hosts;
    const created = await ctl.api('POST', '/api/rollouts', {
      target: { hosts: [first.id, second.id] },
      change: { set: { timeoutremote: 30 } },
      batchSize: 1,
      health: { settleSeconds: 20, maxQueueGrowth: 5, onFail: 'revert' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor('the first host applied', async () => (await get(id)).hosts[0].state === 'applied');
    expect(first.qmail.read('control/timeoutremote')).toBe('30\n');

    // Mail piles up behind the new setting: the queue grows by eight within the settle period.
    for (let i = 0; i < 8; i++) queues[0].add({ sender: `s${i}@corp.example`, recipients: [{ kind: 'remote', address: `r${i}@far.example` }] });
    const halted = await until(id, ['halted', 'completed']);
    expect(halted.status).toBe('halted');
    expect(halted.reason).toMatch(/^health gate after batch 1: mx-1\.example\.net: the queue grew by \d+ messages \(limit 5\); 1 host\(s\) of the batch reverted$/);
    expect(halted.hosts.map((h: { state: string }) => h.state)).toEqual(['reverted', 'pending']);
    await waitFor('the revert applied', () => first.qmail.read('control/timeoutremote') === null);
    expect(second.qmail.read('control/timeoutremote')).toBeNull();
  });

  it('a health gate that sees old mail waiting halts and leaves the batch as it is', async () => {
    const [, , third, fourth] = fleet.hosts;
    const created = await ctl.api('POST', '/api/rollouts', {
      target: { hosts: [third.id, fourth.id] },
      change: { set: { timeoutconnect: 5 } },
      batchSize: 1,
      health: { settleSeconds: 8, maxOldestAgeSec: 600, onFail: 'halt' },
    });
    const id = created.body.id;
    await waitFor('the first host applied', async () => (await get(id)).hosts[0].state === 'applied');
    queues[2].add({ sender: 'old@corp.example', recipients: [{ kind: 'remote', address: 'x@slow.example' }], queuedAt: new Date(Date.now() - 2 * 3600_000) });
    const halted = await until(id, ['halted', 'completed']);
    expect(halted.reason).toMatch(/^health gate after batch 1: mx-3\.example\.net: the oldest queued message is \d+ s old \(limit 600 s\)$/);
    expect(halted.hosts.map((h: { state: string }) => h.state)).toEqual(['applied', 'pending']);
    expect(third.qmail.read('control/timeoutconnect')).toBe('5\n');
    expect(fourth.qmail.read('control/timeoutconnect')).toBeNull();

    // The operator looked and goes on: resuming past the gate finishes the rollout.
    expect((await ctl.api('POST', `/api/rollouts/${id}/resume`)).status).toBe(200);
    expect((await until(id, ['completed', 'halted'])).status).toBe('completed');
    expect(fourth.qmail.read('control/timeoutconnect')).toBe('5\n');
  });

    it('streams progress only to holders of an API token', async () => {
    const anonymous = io(`${ctl.url}/ui`, { transports: ['websocket'], reconnection: false });
    const refused = await new Promise<string>((resolve) => anonymous.once('connect_error', (e) => resolve(e.message)));
    expect(refused).toContain('API token');
    anonymous.close();
    const wrong = io(`${ctl.url}/ui`, { auth: { token: 'not-a-token' }, transports: ['websocket'], reconnection: false });
    expect(await new Promise<string>((resolve) => wrong.once('connect_error', (e) => resolve(e.message)))).toBe('unknown API token');
    wrong.close();
  });
});
