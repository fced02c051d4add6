/**
 * agent (issue 11): what the bundled agent (dist/apps/agent/main.js; `npm run build` first)
 * costs on a mail server while nothing changes. One real controller (embedded database) and
 * four real agents on qmail trees made on disk, each with a queue of `--messages` (default
 * 1,000) messages, started together and measured over the same window of `--seconds` (default
 * 60) after `--settle` seconds (default 20):
 *   - default: the shipped cadence (queue statistics every 10 s, a report every 30 s): its RSS
 *     (VmRSS) after settling, at the end, and its median and highest over the window (read every
 *     second), and its CPU share; goal: median RSS < 60 MB;
 *   - quiet: both timers at an hour: the cost of merely being connected (pings);
 *   - stats: queue statistics every second, reports hourly: CPU per stats tick;
 *   - report: a report every second, statistics hourly: CPU per report tick.
 * `--agent FILE` measures another build of the bundle; `--node-options "…"` starts the agents
 * with those Node/V8 flags before the bundle (as the run scripts do: NODE_OPTIONS refuses most
 * V8 flags), to weigh a flag before it goes in the run scripts;
 * `--env "NAME=VALUE …"` adds environment variables (glibc's MALLOC_*). The shipped run scripts
 * (deploy/) start the agent with `--env MALLOC_TRIM_THRESHOLD_=131072 --node-options
 * --max-semi-space-size=1`: pass both to measure the agent as installed.
 * CPU is utime+stime from /proc/PID/stat; a tick's cost is its agent's CPU less the quiet one's,
 * divided by the ticks in the window.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestController } from '../test/support/controller';
import { startAgent } from '../test/support/agent';
import { QmailTree } from '../test/support/qmail-tree';
import { QueueFixture } from '../test/support/queue-fixture';
import { AGENT_MAIN, waitFor, type Proc } from '../test/support/processes';
import { cpuSeconds, percentile, rssMiB } from './sim/proc';
import { machineLine } from './machine';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(option('seconds') ?? 60);
const SETTLE = Number(option('settle') ?? 20);
const MESSAGES = Number(option('messages') ?? 1000);
const GOAL_RSS_MB = 60;
const HOUR = '3600';
const MAIN = path.resolve(option('agent') ?? AGENT_MAIN);
const NODE_OPTIONS = option('node-options');
const EXTRA_ENV: Record<string, string> = Object.fromEntries(
  (option('env') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`--env wants NAME=VALUE pairs, got ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
);
const ENV_LINE = Object.entries(EXTRA_ENV).map(([k, v]) => `${k}=${v}`).join(' ');

const KINDS = [
  { kind: 'default', queue: '10', report: '30' },
  { kind: 'quiet', queue: HOUR, report: HOUR },
  { kind: 'stats', queue: '1', report: HOUR },
  { kind: 'report', queue: HOUR, report: '1' },
] as const;

function queueOf(home: string, n: number): void {
  const fx = new QueueFixture(path.join(home, 'queue'));
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    fx.add({
      sender: `sender${i % 50}@example.com`,
      recipients: [{ kind: i % 4 ? 'remote' : 'local', address: `user${i}@dest${i % 17}.example` }],
      body: `Subject: bench ${i}\n\nbody\n`,
      queuedAt: new Date(now - i * 1000),
    });
  }
}

async function main() {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  console.log(`agent: ${MAIN}${NODE_OPTIONS ? ` with ${NODE_OPTIONS}` : ''}${ENV_LINE ? `, env ${ENV_LINE}` : ''}, ${MESSAGES} queued messages each, window ${SECONDS} s after ${SETTLE} s; ${machineLine()}`);
  const ctl = await TestController.start('embedded');
  const trees: QmailTree[] = [];
  const agents: { kind: string; queue: string; report: string; proc: Proc; pid: number }[] = [];
  try {
    for (const k of KINDS) {
      const tree = new QmailTree();
      trees.push(tree);
      fs.writeFileSync(path.join(tree.home, 'control', 'me'), `${k.kind}.example.net\n`);
      queueOf(tree.home, MESSAGES);
      const host = await ctl.createHost(`agent-${k.kind}.example.net`);
      const { proc } = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: tree.home, main: MAIN, env: EXTRA_ENV, nodeArgs: NODE_OPTIONS?.split(/\s+/).filter(Boolean), args: ['--report-interval', k.report, '--queue-interval', k.queue] });
      agents.push({ ...k, proc, pid: proc.child.pid! });
      await waitFor(`the ${k.kind} agent to connect`, async () => (await ctl.host(host.id)).connected, 60_000);
    }
    await sleep(SETTLE * 1000);
    const rssSettled = new Map(agents.map((a) => [a.kind, rssMiB(a.pid)]));
    const cpu0 = new Map(agents.map((a) => [a.kind, cpuSeconds(a.pid) ?? NaN]));
    const t0 = Date.now();
    // One reading is a coin toss between garbage collections: RSS is also read every second
    // over the window, and its median and highest printed.
    const samples = new Map<string, number[]>(agents.map((a) => [a.kind, []]));
    const sampler = setInterval(() => {
      for (const a of agents) {
        const rss = rssMiB(a.pid);
        if (rss !== null) samples.get(a.kind)!.push(rss);
      }
    }, 1000);
    await sleep(SECONDS * 1000);
    clearInterval(sampler);
    const wall = (Date.now() - t0) / 1000;
    const used = new Map(agents.map((a) => [a.kind, (cpuSeconds(a.pid) ?? NaN) - cpu0.get(a.kind)!]));
    for (const a of agents) {
      const rss = rssSettled.get(a.kind) ?? NaN;
      console.log(
        `${a.kind.padEnd(7)} (stats every ${a.queue} s, report every ${a.report} s): RSS ${rss.toFixed(1)} MiB settled, ${(rssMiB(a.pid) ?? NaN).toFixed(1)} MiB at the end, over the window median ${percentile(samples.get(a.kind)!, 50).toFixed(1)} and highest ${percentile(samples.get(a.kind)!, 100).toFixed(1)} MiB; CPU ${used.get(a.kind)!.toFixed(2)} s in ${wall.toFixed(0)} s (${((used.get(a.kind)! / wall) * 100).toFixed(2)}% of a core)`,
      );
    }
    const quiet = used.get('quiet')!;
    const perTick = (kind: string, interval: number) => ((used.get(kind)! - quiet) / (wall / interval)) * 1000;
    console.log(`CPU per queue-stats tick (${MESSAGES} messages): ${perTick('stats', 1).toFixed(1)} ms; per report tick: ${perTick('report', 1).toFixed(1)} ms (quiet agent subtracted)`);
    // The goal is judged on the median over the window, not on one reading.
    const idle = percentile(samples.get('default')!, 50);
    console.log(`idle RSS of the agent at the shipped cadence (median over the window): ${idle.toFixed(1)} MiB (${(idle * 1.048576).toFixed(1)} MB); goal < ${GOAL_RSS_MB} MB: ${idle * 1.048576 < GOAL_RSS_MB ? 'met' : 'NOT MET'}`);
  } finally {
    await Promise.all(agents.map((a) => a.proc.stop()));
    await ctl.stop();
    trees.forEach((t) => t.remove());
  }
  console.log(`done; ${machineLine()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
