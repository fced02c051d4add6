/**
 * The shape every simulator benchmark shares: its options, a run on the floor (bare socket.io)
 * and one on the real controller, each torn down whatever happens, its figures printed with
 * the machine's load (as `uptime` shows it: a figure taken on a loaded machine says so), and
 * the process's exit code.
 */
import os from 'node:os';
import path from 'node:path';
import { TestController } from '../../test/support/controller';
import type { TestDatabase } from '../../test/support/databases';
import { Floor } from '../floor/floor';
import { SimFleet, type SimFleetOptions } from './fleet';
import { openFilesLimit } from './proc';

export interface BenchArgs {
  /** agents */
  n: number;
  db: TestDatabase;
  /** `--NAME VALUE` of the command line */
  option(name: string): string | undefined;
  flag(name: string): boolean;
}

/**
 * `--hosts N` (or BENCH_<NAME>_HOSTS; `--full`: the size), `--pg` or
 * QFLEET_BENCH_PG_URL for PostgreSQL instead of the embedded database.
 */
export function benchArgs(name: string, sizes: { hosts: number; full: number }): BenchArgs {
  const args = process.argv.slice(2);
  const option = (o: string) => {
    const i = args.indexOf(`--${o}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const flag = (f: string) => args.includes(`--${f}`);
  const n = flag('full') ? sizes.full : Number(option('hosts') ?? process.env[`BENCH_${name.toUpperCase()}_HOSTS`] ?? sizes.hosts);
  const pgUrl = process.env['QFLEET_BENCH_PG_URL'] ?? (flag('pg') ? process.env['QFLEET_TEST_PG_URL'] : undefined);
  if (pgUrl) process.env['QFLEET_TEST_PG_URL'] = pgUrl;
  return { n, db: pgUrl ? 'postgres' : 'embedded', option, flag };
}

/** The load averages over 1, 5 and 15 minutes, as `uptime` prints them. */
export function load(): string {
  return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
}

/** Prints a figure with the load it was taken at. */
export function figure(line: string): void {
  console.log(`${line} [${load()}]`);
}

/** Prints what the run is about: the size, the database, the open-files limit, the time and the load. */
export function header(what: string): void {
  console.log(`${what}; open files limit ${openFilesLimit()}; ${os.cpus().length} cores; ${new Date().toISOString()}; ${load()}`);
}

/** `n` simulated agents for the floor, all with the token it accepts. */
export function floorAgents(n: number): SimFleetOptions['agents'] {
  return Array.from({ length: n }, (_, i) => ({ name: `floor${i}`, token: 'floor-token-0123456789abcdef' }));
}

/** Runs `fn` against a fresh floor with a simulated fleet on it, then stops both. */
export async function onFloor<T>(fleetOptions: Omit<SimFleetOptions, 'url'>, fn: (floor: Floor, fleet: SimFleet) => Promise<T>): Promise<T> {
  const floor = await Floor.start();
  let fleet: SimFleet | undefined;
  try {
    fleet = await SimFleet.start({ ...fleetOptions, url: floor.url });
    return await fn(floor, fleet);
  } finally {
    await fleet?.close();
    await floor.stop();
  }
}

/**
 * Runs `fn` against a fresh controller; every fleet it starts through `sims.start` (the
 * controller's URL filled in) is closed afterwards, then the controller is stopped.
 */
export async function onController<T>(
  db: TestDatabase,
  env: NodeJS.ProcessEnv,
  fn: (ctl: TestController, sims: { start(o: Omit<SimFleetOptions, 'url'>): Promise<SimFleet> }) => Promise<T>,
): Promise<T> {
  // BENCH_CPU_PROF_DIR: the controller writes a V8 CPU profile there when it exits (one per
  // process, a restart included), to open in Chrome's DevTools (cpu-prof.js).
  const prof = process.env['BENCH_CPU_PROF_DIR'];
  // The production log level (warn) unless BENCH_LOG_LEVEL says otherwise: at `log` (the
  // tests' level) a storm of 10,000 writes 20,000 lines, which is work a production controller
  // does not do.
  const base = { QFLEET_LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn', ...env };
  // BENCH_CONTROLLER_NODE_OPTIONS: node options for the controller alone (not the simulator's workers).
  const nodeOptions = [prof ? `--require ${path.join(__dirname, 'cpu-prof.js')}` : '', process.env['BENCH_CONTROLLER_NODE_OPTIONS'] ?? ''].filter(Boolean).join(' ');
  const ctl = await TestController.start(db, { ...base, ...(prof ? { BENCH_CPU_PROF_DIR: prof } : {}), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) });
  const fleets: SimFleet[] = [];
  try {
    return await fn(ctl, {
      start: async (o) => {
        const f = await SimFleet.start({ ...o, url: ctl.url });
        fleets.push(f);
        return f;
      },
    });
  } finally {
    await Promise.all(fleets.map((f) => f.close()));
    await ctl.stop();
  }
}

/** Runs a benchmark's main and exits: 0 when it finished, 1 with the error otherwise. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/**
 * Under BENCH_CPU_PROF_DIR, ends the controller's current CPU profile (written as
 * controller-PID-partK.cpuprofile) and starts the next: call it at the edges of a measured window.
 */
export function profileMark(pid: number): void {
  if (process.env['BENCH_CPU_PROF_DIR']) process.kill(pid, 'SIGWINCH');
}
