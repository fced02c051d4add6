import { TestController } from '../support/controller';
import { TestFleet } from '../support/fleet';
import { testDatabases } from '../support/databases';
import { waitFor } from '../support/processes';

/**
 * A rollout survives its controller (issue 5): killed with SIGKILL between two batches, the
 * controller comes back on the same database, resumes the rollout where it was, and no host
 * gets the change twice or out of batch order.
 */
describe.each(testDatabases())('a rollout resumed after the controller was killed, on the %s database', (db) => {
  let ctl: TestController;
  let fleet: TestFleet;

  beforeAll(async () => {
    ctl = await TestController.start(db);
    fleet = new TestFleet(ctl);
    for (let i = 1; i <= 6; i++) await fleet.add(`edge-${i}.example.net`, ['edge']);
    expect((await ctl.api('PUT', '/api/groups/edge/config', { locals: ['edge.example'], rcpthosts: ['edge.example'] })).status).toBe(200);
    await waitFor('all six applied', async () => ((await ctl.api('GET', '/api/hosts')).body as { appliedRevision: number }[]).every((h) => h.appliedRevision === 1), 60_000);
  }, 120_000);

  afterAll(async () => {
    await fleet?.cleanUp();
    await ctl?.stop();
  });

  it('resumes and completes, each host applying the change once, batch after batch', async () => {
    // A settle period after each batch gives the kill a moment between batches to land in.
    const created = await ctl.api('POST', '/api/rollouts', {
      target: { groups: ['edge'] },
      change: { add: { locals: ['moved.example'], rcpthosts: ['moved.example'] } },
      batchSize: 2,
      health: { settleSeconds: 3, maxQueueGrowth: 1000 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor('the first batch applied', async () => {
      const r = (await ctl.api('GET', `/api/rollouts/${id}`)).body;
      return r.hosts.filter((h: { batch: number; state: string }) => h.batch === 0 && h.state === 'applied').length === 2;
    });

    await ctl.restart('SIGKILL');
    const resumed = (await ctl.api('GET', `/api/rollouts/${id}`)).body;
    expect(resumed.status).toBe('running');
    expect(resumed.counts.pending).toBeGreaterThanOrEqual(2);

    const done = await waitFor(
      'the rollout completes after the restart',
      async () => {
        const r = (await ctl.api('GET', `/api/rollouts/${id}`)).body;
        return r.status === 'running' ? undefined : r;
      },
      120_000,
    );
    expect(done.status).toBe('completed');
    expect(done.counts.applied).toBe(6);

    const rows = done.hosts as { name: string; batch: number; revision: number; sentAt: string; doneAt: string }[];
    for (let b = 1; b < 3; b++) {
      const previousDone = Math.max(...rows.filter((h) => h.batch === b - 1).map((h) => Date.parse(h.doneAt)));
      expect(Math.min(...rows.filter((h) => h.batch === b).map((h) => Date.parse(h.sentAt)))).toBeGreaterThanOrEqual(previousDone);
    }
    for (const h of fleet.hosts) {
      const row = rows.find((r) => r.name === h.name)!;
      expect(row.revision).toBe(2);
      // One revision stored for the change, one apply of it on the host, nothing after.
      const audit = (await ctl.api('GET', `/api/audit?action=rollout.apply&target=host:${h.id}`)).body;
      expect(audit).toHaveLength(1);
      expect(h.appliedLog()).toEqual([1, 2]);
      expect(h.qmail.read('control/locals')).toBe('edge.example\nmoved.example\n');
      expect((await ctl.host(h.id)).appliedRevision).toBe(2);
    }
  });
});
