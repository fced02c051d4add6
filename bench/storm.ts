/**
 * storm (issue 11): N enrolled agents connecting at once, against the floor, and again after a
 * controller restart. `--hosts N` (default 1,000; `--full`: 10,000); `--pg` or QFLEET_BENCH_PG_URL
 * for PostgreSQL instead of the embedded database. Needs `npm run build` first.
 *  - floor: N simulated agents connect at once to the bare socket.io server; time until all
 *    are connected and their hellos received;
 *  - controller: N hosts created and enrolled (at a steady rate), the agents closed, then all N
 *    connecting at once on their secrets: time until GET /api/hosts shows every host connected
 *    with a hello stored after the start, and how many sockets dropped meanwhile; then a
 *    controller restart (SIGTERM, same database and port): time until every host is back.
 * Goal: 10,000 agents all connected with hellos stored in < 30 s, none dropped.
 */
import { performance } from 'node:perf_hooks';
import { TestController } from '../test/support/controller';
import type { TestDatabase } from '../test/support/databases';
import { waitFor } from '../test/support/processes';
import { Floor } from './floor/floor';
import { SimFleet } from './sim/fleet';
import { createSimHosts } from './sim/hosts';
import { openFilesLimit, rssMiB } from './sim/proc';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = args.includes('--full') ? 10_000 : Number(option('hosts') ?? process.env['BENCH_STORM_HOSTS'] ?? 1000);
const PG_URL = process.env['QFLEET_BENCH_PG_URL'] ?? (args.includes('--pg') ? process.env['QFLEET_TEST_PG_URL'] : undefined);
if (PG_URL) process.env['QFLEET_TEST_PG_URL'] = PG_URL;
const DB: TestDatabase = PG_URL ? 'postgres' : 'embedded';
const TIMEOUT_MS = Number(process.env['BENCH_STORM_TIMEOUT_MS'] ?? 600_000);
const GOAL_MS = 30_000;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function floorStorm(): Promise<number> {
  const floor = await Floor.start();
  // The clock starts once the workers are up and told to connect (forking them is not the storm).
  const fleet = await SimFleet.start({ url: floor.url, connectConcurrency: 0, agents: Array.from({ length: N }, (_, i) => ({ name: `floor${i}`, token: 'floor-token-0123456789abcdef' })) });
  const t = performance.now();
  try {
    await fleet.until(`${N} agents connected to the floor`, (c) => c.connected === N, TIMEOUT_MS);
    await waitFor('every hello received', async () => (await floor.status()).received.hello >= N, TIMEOUT_MS);
    const ms = performance.now() - t;
    console.log(`[floor] ${N} agents connecting at once: all connected, hellos received in ${s(ms)}; ${fleet.counts.disconnects} drops`);
    return ms;
  } finally {
    await fleet.close();
    await floor.stop();
  }
}

/** Hosts connected with a hello stored after `since`. */
async function connectedSince(ctl: TestController, since: number): Promise<number> {
  const r = await ctl.api('GET', '/api/hosts');
  const hosts = (Array.isArray(r.body) ? r.body : (r.body.hosts ?? r.body.items ?? [])) as { connected: boolean; lastSeen: string | null }[];
  return hosts.filter((h) => h.connected && h.lastSeen && Date.parse(h.lastSeen) >= since).length;
}

async function main() {
  console.log(`storm: ${N} agents, ${DB}; open files limit ${openFilesLimit()}; ${new Date().toISOString()}`);
  const floorMs = await floorStorm();
  const ctl = await TestController.start(DB, { QFLEET_RATE_LIMIT_TOKEN: '10000000', QFLEET_APPLY_TIMEOUT_MS: '120000' });
  let fleet: SimFleet | undefined;
  try {
    const specs = await createSimHosts(ctl, N);
    fleet = await SimFleet.start({ url: ctl.url, agents: specs });
    await fleet.until('every agent enrolled', (c) => c.enrolled === N && c.connected === N, TIMEOUT_MS);
    const secrets = specs.map((x) => ({ name: x.name, token: fleet!.secrets.get(x.name)!.secret }));
    await fleet.close();
    await waitFor('every host offline', async () => (await connectedSince(ctl, 0)) === 0, TIMEOUT_MS);

    const since = Date.now();
    fleet = await SimFleet.start({ url: ctl.url, agents: secrets, connectConcurrency: 0 });
    let t = performance.now();
    await waitFor('every host connected with a hello stored', async () => (await connectedSince(ctl, since)) === N, TIMEOUT_MS);
    let ms = performance.now() - t;
    const c = fleet.counts;
    const verdict = N < 10_000 ? `not judged at ${N}` : ms < GOAL_MS && c.disconnects === 0 ? 'met' : 'NOT MET';
    console.log(`[${DB}] ${N} agents connecting at once: all connected, hellos stored in ${s(ms)}; ${(ms / floorMs).toFixed(1)}× the floor (${s(floorMs)}); ${c.disconnects} drops, ${c.connectErrors} connect errors; goal (10,000 in < 30 s, none dropped): ${verdict}; controller RSS ${rssMiB(ctl.proc.child.pid!)?.toFixed(0)} MiB`);

    const restartAt = Date.now();
    t = performance.now();
    await ctl.restart();
    await waitFor('every host back after the restart', async () => (await connectedSince(ctl, restartAt)) === N, TIMEOUT_MS);
    ms = performance.now() - t;
    console.log(`[${DB}] controller restart with ${N} agents: all back with hellos stored in ${s(ms)} (restart included); ${fleet.counts.connectErrors - c.connectErrors} connect errors meanwhile`);
  } finally {
    await fleet?.close();
    await ctl.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
