/**
 * fanout (issue 11): how fast one change reaches every connected host, against the floor.
 *
 * For each size N (default 1,000; `--hosts 100,1000`; `--full` adds 10,000) and each database
 * (embedded; PostgreSQL too with `--pg` or QFLEET_BENCH_PG_URL, a server it may create a
 * database on), in one run:
 *  - the floor (bench/floor): N simulated agents on a bare socket.io server; a ~2 KB
 *    config.apply-like broadcast with acks back, time until the last ack (median of 3);
 *  - the built controller (`npm run build` first) with N hosts created through the API and N
 *    simulated agents (bench/sim) enrolled, then
 *      a rollout of one domain + one alias to all, one batch, until every host `applied`,
 *      a group change to all members until every host's appliedRevision equals its
 *      desiredRevision (on PostgreSQL both read from the database every 50 ms, DatabaseWatch;
 *      embedded, polled at GET /api/rollouts/:id and GET /api/hosts), and a dry run over all
 *      (the answer's time);
 *    each with the controller's CPU (from /proc) and RSS, and p50/p99 per host of the time from
 *    the start to the agent's ack (the simulator's clock; same machine).
 * Prints each figure, the floor's, the ratio and the goal.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { TestController } from '../test/support/controller';
import type { TestDatabase } from '../test/support/databases';
import { waitFor } from '../test/support/processes';
import { Floor } from './floor/floor';
import { SimFleet, type AckRecord } from './sim/fleet';
import { createSimHosts, listHosts } from './sim/hosts';
import { cpuMeter, openFilesLimit, percentile, rssMiB } from './sim/proc';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = (option('hosts') ?? process.env['BENCH_FANOUT_HOSTS'] ?? '1000').split(',').map(Number).concat(flag('full') ? [10_000] : []);
const PG_URL = process.env['QFLEET_BENCH_PG_URL'] ?? (flag('pg') ? process.env['QFLEET_TEST_PG_URL'] : undefined);
const DB_CHOICE = option('db');
const DATABASES: TestDatabase[] = DB_CHOICE
  ? (DB_CHOICE.split(',') as TestDatabase[])
  : flag('pg-only') ? ['postgres'] : PG_URL ? ['embedded', 'postgres'] : ['embedded'];
/** `--cpu-prof DIR`: the controller writes V8 CPU profiles there (main thread and workers) when stopped. */
const CPU_PROF_DIR = option('cpu-prof');
/** `--node-options '…'`: more node options for the controller (e.g. `--max-old-space-size=4096`). */
const NODE_OPTIONS_EXTRA = option('node-options');
const SKIP_FLOOR_MS = option('floor-ms');
if (PG_URL) process.env['QFLEET_TEST_PG_URL'] = PG_URL;
const GROUP = 'bench';
const CHANGE = { add: { locals: ['new.example'], rcpthosts: ['new.example'], aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'team@corp.example' }] }] } };
const TIMEOUT_MS = Number(process.env['BENCH_FANOUT_TIMEOUT_MS'] ?? 600_000);

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const lines: string[] = [];
const print = (line: string) => {
  lines.push(line);
  console.log(line);
};

/** The goals, per database and size (null: none set). */
function goalMs(work: 'change' | 'dry', db: TestDatabase, n: number): number | null {
  if (work === 'dry') return n >= 10_000 ? 2_000 : null;
  if (n >= 10_000) return db === 'postgres' ? 3_000 : null;
  if (n >= 1_000) return db === 'postgres' ? 1_000 : 3_000;
  return null;
}

function verdict(ms: number, goal: number | null): string {
  if (goal === null) return '';
  return ms < goal ? `; goal < ${s(goal)}: met` : `; goal < ${s(goal)}: NOT MET`;
}

async function floorBroadcast(n: number): Promise<number> {
  const floor = await Floor.start();
  const fleet = await SimFleet.start({ url: floor.url, agents: Array.from({ length: n }, (_, i) => ({ name: `floor${i}`, token: 'floor-token-0123456789abcdef' })) });
  try {
    await fleet.until(`${n} agents connected to the floor`, (c) => c.connected === n, TIMEOUT_MS);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await floor.broadcast();
      if (b.acks !== n) throw new Error(`floor broadcast: ${b.acks} acks of ${n} (${b.error ?? ''})`);
      runs.push(b.ms);
    }
    const median = percentile(runs, 50);
    print(`[floor] N=${n}: ~2 KB broadcast with acks to ${n}: ${s(median)} (median of 3: ${runs.map((r) => s(r)).join(', ')})`);
    return median;
  } finally {
    await fleet.close();
    await floor.stop();
  }
}

function perHost(acks: AckRecord[], since: number): string {
  const ms = acks.map((a) => a.ackedAt - since);
  return `per host (start → agent ack) p50 ${s(percentile(ms, 50))}, p99 ${s(percentile(ms, 99))}`;
}

/**
 * The pause between two polls of the controller for N hosts: each poll of a large fleet is
 * itself work for the controller (the whole host list), so the pause grows with N.
 */
const apiPause = (n: number) => Math.min(1000, Math.max(100, n / 4));
/** The pause between two reads of PostgreSQL by DatabaseWatch. */
const DATABASE_PAUSE_MS = 50;

/** Polls until `check` gives a value, `pauseMs` apart. */
async function poll<T>(what: string, pauseMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/**
 * On PostgreSQL the end of an operation is read from the database itself (DATABASE_PAUSE_MS): the
 * controller is not asked, so the watching costs it nothing and adds no poll interval to the
 * figure (the API's whole host list, asked every second at 10,000 hosts, added up to a second
 * and a 10,000-host answer a second of the controller's CPU). The embedded database is open in
 * the controller alone; there the API is polled.
 */
class DatabaseWatch {
  private constructor(private readonly client: Client) {}

  static async open(ctl: TestController): Promise<DatabaseWatch | undefined> {
    if (!ctl.databaseUrl) return undefined;
    const client = new Client({ connectionString: ctl.databaseUrl });
    await client.connect();
    return new DatabaseWatch(client);
  }

  async rolloutEnded(id: string): Promise<boolean> {
    const { rows } = await this.client.query<{ status: string }>('SELECT "status" FROM "Rollout" WHERE "id" = $1', [id]);
    return rows.length === 1 && rows[0].status !== 'running' && rows[0].status !== 'pending';
  }

  /** Every host's ack of its desired revision stored. */
  async converged(): Promise<boolean> {
    const { rows } = await this.client.query<{ behind: number }>('SELECT count(*)::int AS "behind" FROM "Host" WHERE "appliedRevision" <> "desiredRevision"');
    return rows[0].behind === 0;
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

async function converged(ctl: TestController, n: number): Promise<boolean> {
  const hosts = await listHosts(ctl);
  return hosts.length === n && hosts.every((h) => h.connected && h.appliedRevision === h.desiredRevision);
}

async function controllerRun(db: TestDatabase, n: number, floorMs: number): Promise<void> {
  const tag = `[${db}] N=${n}`;
  const nodeArgs = [
    ...(CPU_PROF_DIR ? ['--require', path.resolve(__dirname, 'prof/exit-on-sigterm.cjs'), '--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF_DIR, `${db}-${n}`)] : []),
    ...(NODE_OPTIONS_EXTRA ? NODE_OPTIONS_EXTRA.split(' ').filter(Boolean) : []),
  ];
  const spawnedAt = performance.now();
  /** Seconds since the controller was started: the window of a phase in its CPU profile. */
  const sinceStart = (at: number) => ((at - spawnedAt) / 1000).toFixed(1);
  const ctl = await TestController.start(db, {
    QFLEET_APPLY_TIMEOUT_MS: '120000',
    // The API limits are per minute; the set-up alone makes N requests.
    QFLEET_RATE_LIMIT_TOKEN: String(10_000_000),
    // A real start logs at warn: a line per host per apply at `log` is the test harness's cost, not the controller's.
    QFLEET_LOG_LEVEL: process.env['QFLEET_LOG_LEVEL'] ?? 'warn',
  }, nodeArgs);
  const pid = ctl.proc.child.pid!;
  let fleet: SimFleet | undefined;
  let watch: DatabaseWatch | undefined;
  try {
    watch = await DatabaseWatch.open(ctl);
    let t = performance.now();
    const specs = await createSimHosts(ctl, n, { groups: [GROUP], concurrency: 16 });
    const createMs = performance.now() - t;
    print(`${tag}: created ${n} hosts (POST /api/hosts, 16 in flight) in ${s(createMs)}: ${Math.round((n / createMs) * 1000)} /s`);

    // The fields the rollout changes must be managed first (an unmanaged file is never replaced unseen).
    const setUp = await ctl.api('PUT', `/api/groups/${GROUP}/config`, { locals: [`${GROUP}.example`], rcpthosts: [`${GROUP}.example`] });
    if (setUp.status !== 200) throw new Error(`PUT /api/groups/${GROUP}/config: ${setUp.status} ${JSON.stringify(setUp.body)}`);
    t = performance.now();
    fleet = await SimFleet.start({ url: ctl.url, agents: specs });
    await fleet.until(`${n} agents enrolled and connected`, (c) => c.enrolled === n && c.connected === n, TIMEOUT_MS);
    await waitFor('every host connected and converged', () => converged(ctl, n), TIMEOUT_MS);
    print(`${tag}: ${n} agents enrolled, connected and converged in ${s(performance.now() - t)}; controller RSS ${rssMiB(pid)?.toFixed(0)} MiB`);
    await fleet.collect();
    // The controller's CPU with N agents connected and nothing asked of it (their stats and
    // reports): subtracted from each operation's CPU below, so the figure is the operation's own
    // work, which the machine's load does not change (the wall times do).
    const idle = cpuMeter([pid]);
    await new Promise((r) => setTimeout(r, 5_000));
    const idleUse = idle.stop();
    const idleRate = idleUse.cpuSec / idleUse.wallSec;
    print(`${tag}: idle with ${n} agents connected: ${(idleRate * 100).toFixed(0)}% of a core`);
    const own = (u: { cpuSec: number; wallSec: number }) => `; above idle ${Math.max(0, u.cpuSec - idleRate * u.wallSec).toFixed(1)} s`;

    // A rollout of one domain + one alias to every host, one batch.
    let cpu = cpuMeter([pid]);
    let since = Date.now();
    t = performance.now();
    const created = await ctl.api('POST', '/api/rollouts', { target: { groups: [GROUP] }, change: CHANGE, batchSize: Math.min(n, 10_000), maxFailures: 0 });
    if (created.status !== 201 && created.status !== 200) throw new Error(`POST /api/rollouts: ${created.status} ${JSON.stringify(created.body)}`);
    const rolloutUrl = `/api/rollouts/${created.body.id}`;
    const ended = async () => {
      const r = (await ctl.api('GET', rolloutUrl)).body;
      return r.status === 'running' || r.status === 'pending' ? undefined : r;
    };
    const w = watch;
    let done = w ? undefined : await poll('the rollout completes', apiPause(n), ended);
    if (w) await poll('the rollout completes', DATABASE_PAUSE_MS, () => w.rolloutEnded(created.body.id));
    let ms = performance.now() - t;
    // Read from the database: the API's answer, outside the timing.
    done ??= await ended();
    if (!done) throw new Error(`${rolloutUrl}: ended in the database, running in the API`);
    const windowOf = (start: number) => (CPU_PROF_DIR ? ` [profile window ${sinceStart(start)}–${sinceStart(performance.now())} s]` : '');
    let window = windowOf(t);
    let use = cpu.stop();
    let acks = (await fleet.collect()).acks;
    const counted = Object.entries(done.counts as Record<string, number>).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).join(', ');
    const other = (done.hosts as { state: string; error: string | null }[] | undefined)?.find((h) => h.state !== 'applied');
    if (other) print(`${tag}: a host not applied: ${other.state} ${other.error ?? ''}`);
    print(
      `${tag}: rollout to ${n} hosts, one batch: ${done.status} (${counted}) in ${s(ms)}; ` +
        `${(ms / floorMs).toFixed(1)}× the floor (${s(floorMs)})${verdict(ms, goalMs('change', db, n))}; ${perHost(acks, since)}; controller CPU ${use.cpuSec.toFixed(1)} s (${use.percentOfCore.toFixed(0)}% of a core${own(use)}), RSS ${rssMiB(pid)?.toFixed(0)} MiB${window}`,
    );

    // A group document change reaching every member.
    cpu = cpuMeter([pid]);
    since = Date.now();
    t = performance.now();
    const put = await ctl.api('PUT', `/api/groups/${GROUP}/config`, { locals: [`${GROUP}.example`, `${GROUP}2.example`], rcpthosts: [`${GROUP}.example`, `${GROUP}2.example`] });
    if (put.status !== 200) throw new Error(`PUT /api/groups/${GROUP}/config: ${put.status} ${JSON.stringify(put.body)}`);
    if (w) await poll('every host applied the group change', DATABASE_PAUSE_MS, () => w.converged());
    else await poll('every host applied the group change', apiPause(n), () => converged(ctl, n));
    ms = performance.now() - t;
    if (w && !(await converged(ctl, n))) throw new Error('every ack stored, but not every host connected and converged in the API');
    window = windowOf(t);
    use = cpu.stop();
    acks = (await fleet.collect()).acks;
    print(
      `${tag}: group change to ${n} members, every ack stored: ${s(ms)}; ${(ms / floorMs).toFixed(1)}× the floor${verdict(ms, goalMs('change', db, n))}; ${perHost(acks, since)}; ` +
        `controller CPU ${use.cpuSec.toFixed(1)} s (${use.percentOfCore.toFixed(0)}% of a core${own(use)}), RSS ${rssMiB(pid)?.toFixed(0)} MiB${window}`,
    );

    // The host list of a fleet where every host has an applied revision (the ingest bench's
    // hosts have none): the whole list and one page, each asked alone, fifteen times.
    const timed = async (url: string) => {
      const xs: number[] = [];
      for (let k = 0; k < 15; k++) {
        const t0 = performance.now();
        const r = await ctl.api('GET', url);
        if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
        xs.push(performance.now() - t0);
      }
      return `p50 ${percentile(xs, 50).toFixed(0)} ms`;
    };
    print(`${tag}: host list with every host applied, agents reporting: GET /api/hosts (all ${n}) ${await timed('/api/hosts')}; one page ${await timed('/api/hosts?page=1&pageSize=100')}`);

    // A dry run over every host.
    cpu = cpuMeter([pid]);
    t = performance.now();
    const dry = await ctl.api('POST', '/api/rollouts', { target: { groups: [GROUP] }, change: { add: { locals: ['dry.example'] } }, batchSize: Math.min(n, 10_000), dryRun: true });
    ms = performance.now() - t;
    window = windowOf(t);
    use = cpu.stop();
    if (dry.status !== 200) throw new Error(`dry run: ${dry.status} ${JSON.stringify(dry.body).slice(0, 300)}`);
    print(`${tag}: dry run over ${n} hosts: ${s(ms)} (${(JSON.stringify(dry.body).length / 1e6).toFixed(1)} MB answer)${verdict(ms, goalMs('dry', db, n))}; controller CPU ${use.cpuSec.toFixed(1)} s${own(use)}${window}`);
    const c = fleet.counts;
    print(`${tag}: load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    print(`${tag}: simulator: ${c.disconnects} disconnects, ${c.connectErrors} connect errors, ${c.applyFailures} refused applies`);
  } catch (e) {
    console.error(`controller output:\n${ctl.proc.tail(30)}`);
    throw e;
  } finally {
    await watch?.close();
    await fleet?.close();
    await ctl.stop();
  }
}

async function main() {
  print(`fanout: sizes ${SIZES.join(', ')}; databases ${DATABASES.join(', ')}; ${new Date().toISOString()}; ${os.cpus().length} cores; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  // Each agent is a socket in the controller (and the floor): one descriptor each, plus the rest.
  const limit = openFilesLimit();
  print(`open files limit (inherited by the controller, the floor and the simulator): ${limit ?? 'unknown'}`);
  for (const n of SIZES) if (limit !== null && n + 1_000 > limit) print(`WARNING: ${n} agents need about ${n + 1_000} open files in the controller; the limit is ${limit} (raise it with ulimit -n / prlimit)`);
  for (const n of SIZES) {
    // `--floor-ms X`: reuse a floor figure measured earlier in the same conditions (saves a minute at 1,000).
    const floorMs = SKIP_FLOOR_MS ? Number(SKIP_FLOOR_MS) : await floorBroadcast(n);
    if (SKIP_FLOOR_MS) print(`[floor] N=${n}: not measured in this run; ${s(floorMs)} given with --floor-ms`);
    for (const db of DATABASES) await controllerRun(db, n, floorMs);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
