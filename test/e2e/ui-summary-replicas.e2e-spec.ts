import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { FleetSummary } from '@qfleet/protocol';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { TestFleet } from '../support/fleet';
import { waitFor } from '../support/processes';

const REDIS = process.env['QFLEET_TEST_REDIS_URL'];
const PG = process.env['QFLEET_TEST_PG_URL'];

/** The counts a summary is about; the queue's figures move with time on their own. */
const counts = ({ messagesQueued: _m, oldestMessageAgeSec: _o, ...rest }: FleetSummary) => rest;

/**
 * The `/ui` fleet summary with two replicas behind Redis: each replica counts for its own
 * dashboards (from the shared database facts) and sends only to them, so a dashboard hears
 * one source, never the same summary twice in a row from two replicas that both noticed a
 * change, nor two differently stale summaries alternating. A change noticed on one replica
 * still reaches the dashboards of the other. Runs when QFLEET_TEST_PG_URL and
 * QFLEET_TEST_REDIS_URL are set.
 */
(PG && REDIS ? describe : describe.skip)('the fleet summary on /ui with two replicas', () => {
  let a: TestController;
  let b: TestController;
  let onA: TestFleet;
  let onB: TestFleet;
  const dashboards: { name: string; socket: Socket; seen: FleetSummary[] }[] = [];

  async function dashboard(ctl: TestController, name: string) {
    const socket = io(`${ctl.url}/ui`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'] });
    const d = { name, socket, seen: [] as FleetSummary[] };
    socket.on('fleetSummary', (s: FleetSummary) => d.seen.push(s));
    await new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('connect_error', reject)));
    dashboards.push(d);
    return d;
  }

  beforeAll(async () => {
    const shared = { REDIS_URL: REDIS, QFLEET_REDIS_KEY: `qfleet-test-${randomBytes(4).toString('hex')}` };
    a = await TestController.start('postgres', shared);
    b = await TestController.replicaOf(a);
    onA = new TestFleet(a);
    onB = new TestFleet(b);
  }, 120_000);

  afterAll(async () => {
    for (const d of dashboards) d.socket.close();
    await onA?.cleanUp();
    await onB?.cleanUp();
    await b?.stop();
    await a?.stop();
  });

  it('a change noticed on one replica reaches the dashboards of the other, counted there', async () => {
    const onReplicaA = await dashboard(a, 'A');
    const onReplicaB = await dashboard(b, 'B');
    // The agent connects to A only: B hears of it from A and counts for its own dashboard.
    await onA.add('a1.example.net', ['web']);
    for (const d of [onReplicaA, onReplicaB]) {
      await waitFor(`dashboard on ${d.name}: a1 connected`, async () => d.seen.some((s) => s.hosts === 1 && s.connected === 1));
    }
    await onB.add('b1.example.net', ['web']);
    for (const d of [onReplicaA, onReplicaB]) {
      await waitFor(`dashboard on ${d.name}: both connected`, async () => d.seen.some((s) => s.hosts === 2 && s.connected === 2));
    }
  });

  it('changes noticed on both replicas at once give each dashboard one summary per change, and both agree once settled', async () => {
    // A group change gives both members a new revision: their agents, one on each replica,
    // apply and acknowledge it in the same seconds, so both replicas notice changes together.
    for (const databytes of [1000, 2000, 3000]) {
      expect((await a.api('PUT', '/api/groups/web/config', { databytes })).status).toBe(200);
      await waitFor(`both members applied databytes ${databytes}`, async () =>
        ((await a.api('GET', '/api/hosts')).body as { desiredRevision: number; appliedRevision: number }[]).every((h) => h.appliedRevision === h.desiredRevision),
      );
    }
    // The summary counts from each replica's facts in memory, which learn of an ack, or of a
    // report the other replica wrote, with the next read of the changed rows (FleetFacts:
    // within FACTS_REFRESH_MS of a request), not with the write: wait for it to settle.
    const settled = await waitFor('the summary on A settled', async () => {
      const s = (await a.api<FleetSummary>('GET', '/api/fleet/summary')).body;
      return s.hosts === 2 && s.connected === 2 && s.pending === 0 && s.failed === 0 && s;
    });
    for (const d of dashboards) {
      await waitFor(`dashboard on ${d.name} settled`, async () => JSON.stringify(counts(d.seen.at(-1)!)) === JSON.stringify(counts(settled)));
      // One source per dashboard, which sends a summary only when it differs from its last.
      const repeats = d.seen.filter((s, i) => i > 0 && JSON.stringify(s) === JSON.stringify(d.seen[i - 1]));
      expect([d.name, repeats]).toEqual([d.name, []]);
    }
  });
});
