/**
 * host-list (issues 11 and 13): the fleet overview's reads with N hosts in the database and M
 * simulated agents reporting meanwhile (a report every 30 s, queue figures every 10 s): GET
 * /api/hosts whole, one page, a filtered and sorted page, and GET /api/fleet/summary, each 20
 * times one after another. `--hosts N` (default 10,000; `--full` the same), `--agents M`
 * (default 1,000), `--pg` or QFLEET_BENCH_PG_URL for PostgreSQL. `--cpu-prof DIR` writes the
 * controller's CPU profile there when it stops (sim/cpu-prof.js, one per thread: NODE_OPTIONS refuses --cpu-prof).
 * Goal: one page (`?page=1&pageSize=100`) < 50 ms at 10,000 hosts while agents report.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { waitFor } from '../test/support/processes';
import { createSimHosts } from './sim/hosts';
import { percentile } from './sim/proc';
import { benchArgs, figure, header, onController, runBench } from './sim/run';

const { n: N, db: DB, option } = benchArgs('host-list', { hosts: 10_000, full: 10_000 });
const AGENTS = Math.min(N, Number(option('agents') ?? 1000));
const PROF = option('cpu-prof');
const RUNS = 20;
const TIMEOUT_MS = 600_000;

async function main() {
  header(`host-list: ${N} hosts, ${AGENTS} agents reporting, ${DB}`);
  const env: NodeJS.ProcessEnv = { QFLEET_RATE_LIMIT_TOKEN: '10000000', ...(PROF ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'sim', 'cpu-prof.js')}`, BENCH_CPU_PROF_DIR: path.resolve(PROF) } : {}) };
  await onController(DB, env, async (ctl, sims) => {
    const specs = await createSimHosts(ctl, N);
    const fleet = await sims.start({ agents: specs.slice(0, AGENTS) });
    await fleet.until('the agents connected', (c) => c.connected === AGENTS, TIMEOUT_MS);
    await waitFor('the agents connected per the API', async () => (await ctl.api('GET', '/api/fleet/summary')).body.connected === AGENTS, TIMEOUT_MS);
    const time = async (route: string) => {
      const xs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const r = await ctl.api('GET', route);
        xs.push(performance.now() - t);
        if (r.status !== 200) throw new Error(`GET ${route}: ${r.status}`);
      }
      return `GET ${route}: p50 ${percentile(xs, 50).toFixed(0)} ms, p99 ${percentile(xs, 99).toFixed(0)} ms`;
    };
    for (const route of ['/api/hosts', '/api/hosts?page=1&pageSize=100', '/api/hosts?page=3&pageSize=100&state=offline,drift&sort=lastSeen&order=desc', '/api/hosts?q=00&sort=queue&order=desc', '/api/fleet/summary']) {
      figure(`[${DB}] ${N} hosts, ${AGENTS} agents reporting: ${await time(route)}`);
    }
  });
}

runBench(main);
