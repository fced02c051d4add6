/**
 * ingest (issue 11): N agents reporting on the real cadence (queue.stats every 10 s, a report
 * every 30 s) for a bounded time, on the controller and on the floor: CPU as a share of one
 * core and RSS, from /proc, and the API's latency meanwhile (GET /api/hosts, one page of it
 * `?page=1&pageSize=100`, GET /api/fleet/summary and GET /api/stats/queues, one after another every 2 s),
 * and the controller's write queues (/metrics) at the end.
 * `--hosts N` (default 1,000; `--full`: 10,000), `--seconds S` (default 60; the issue's figure
 * is 120), `--pg` or QFLEET_BENCH_PG_URL for PostgreSQL.
 * Goals: 10,000 agents: controller CPU ≤ 2× the floor's; GET /api/hosts?page=1&pageSize=100 < 50 ms.
 */
import { performance } from 'node:perf_hooks';
import { waitFor } from '../test/support/processes';
import { createSimHosts, listHosts } from './sim/hosts';
import { cpuMeter, percentile, rssMiB } from './sim/proc';
import { benchArgs, figure, floorAgents, header, onController, onFloor, runBench } from './sim/run';

const { n: N, db: DB, option } = benchArgs('ingest', { hosts: 1000, full: 10_000 });
const SECONDS = Number(option('seconds') ?? process.env['BENCH_INGEST_SECONDS'] ?? 60);
const TIMEOUT_MS = 600_000;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/**
 * Every 2 s until `untilMs`, runs the probes one after another (each alone: a page timed while
 * the whole list is answered would measure the whole list) and returns each one's latencies.
 */
async function sample(untilMs: number, probes: (() => Promise<void>)[]): Promise<number[][]> {
  const out: number[][] = probes.map(() => []);
  while (Date.now() < untilMs) {
    for (const [i, probe] of probes.entries()) {
      const t = performance.now();
      await probe();
      out[i].push(performance.now() - t);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  return out;
}

/** The write-queue lines of /metrics (depth and drops). */
function writeQueues(metrics: string): string {
  const lines = metrics.split('\n').filter((l) => /^qfleet_write_queue_(depth|dropped_total)\{/.test(l));
  return lines.length ? lines.map((l) => l.replace(/^qfleet_write_queue_/, '')).join(', ') : 'no write-queue figures in /metrics';
}

async function main() {
  header(`ingest: ${N} agents for ${SECONDS} s, ${DB}`);
  const floorCpu = await onFloor({ agents: floorAgents(N) }, async (floor, fleet) => {
    await fleet.until(`${N} agents connected to the floor`, (c) => c.connected === N, TIMEOUT_MS);
    const cpu = cpuMeter([floor.pid]);
    const before = (await floor.status()).received;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const use = cpu.stop();
    const after = (await floor.status()).received;
    figure(
      `[floor] ${N} agents for ${SECONDS} s: CPU ${use.percentOfCore.toFixed(1)}% of a core, RSS ${rssMiB(floor.pid)?.toFixed(0)} MiB; received ${after.queueStats - before.queueStats} queue.stats, ${after.report - before.report} reports`,
    );
    return use.percentOfCore;
  });

  await onController(DB, { QFLEET_RATE_LIMIT_TOKEN: '10000000' }, async (ctl, sims) => {
    const pid = ctl.proc.child.pid!;
    const specs = await createSimHosts(ctl, N);
    const fleet = await sims.start({ agents: specs });
    await fleet.until('every agent enrolled', (c) => c.enrolled === N && c.connected === N, TIMEOUT_MS);
    await waitFor('every host connected', async () => (await listHosts(ctl)).filter((h) => h.connected).length === N, TIMEOUT_MS);
    const drops0 = fleet.counts.disconnects;
    const rss0 = rssMiB(pid);
    const cpu = cpuMeter([pid]);
    const until = Date.now() + SECONDS * 1000;
    const [hosts, page, summary, queues] = await sample(until, [
      async () => void (await ctl.api('GET', '/api/hosts')),
      async () => void (await ctl.api('GET', '/api/hosts?page=1&pageSize=100')),
      async () => void (await ctl.api('GET', '/api/fleet/summary')),
      async () => void (await ctl.api('GET', '/api/stats/queues')),
    ]);
    const use = cpu.stop();
    const ratio = use.percentOfCore / floorCpu;
    const p = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}, p99 ${ms(percentile(xs, 99))}`;
    const metrics = await ctl.api<string>('GET', '/metrics');
    figure(
      `[${DB}] ${N} agents for ${SECONDS} s: controller CPU ${use.percentOfCore.toFixed(1)}% of a core, ${ratio.toFixed(1)}× the floor's ${floorCpu.toFixed(1)}% (goal ≤ 2× at 10,000: ${N < 10_000 ? `not judged at ${N}` : ratio <= 2 ? 'met' : 'NOT MET'}); RSS ${rss0?.toFixed(0)} → ${rssMiB(pid)?.toFixed(0)} MiB; ` +
        `GET /api/hosts (all) ${p(hosts)}; one page ${p(page)} (goal < 50 ms at 10,000: ${N < 10_000 ? `not judged at ${N}` : percentile(page, 50) < 50 ? 'met' : 'NOT MET'}); GET /api/fleet/summary ${p(summary)}; GET /api/stats/queues ${p(queues)}; ${fleet.counts.disconnects - drops0} drops; write queues: ${writeQueues(String(metrics.body))}`,
    );
  });
}

runBench(main);
