/**
 * The simulator's parent: spreads N simulated agents over several worker processes (so the
 * simulator is never the bottleneck), sums their counts, keeps the secrets they were given,
 * and collects the acknowledgements they sent with when they received and answered each.
 */
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { forkTs } from './fork-ts';
import { openFilesHardLimit } from './proc';
import { zeroCounts, type AckRecord, type FromWorker, type SimCounts, type ToWorker } from './messages';
import type { SimAgentSpec } from './sim-agent';

export type { SimAgentSpec } from './sim-agent';
export type { SimCounts, AckRecord } from './messages';

export interface SimFleetOptions {
  url: string;
  agents: SimAgentSpec[];
  /**
   * worker processes; default: one per core, at most one per 250 agents, at least 1, and
   * enough that none holds more sockets than its open-files limit allows
   */
  workers?: number;
  statsIntervalMs?: number;
  reportIntervalMs?: number;
  selfCheck?: boolean;
  /** handshakes in flight per worker; 0 connects every agent at once */
  connectConcurrency?: number;
}

/** Open files a worker keeps for itself (node, ts-node's files, IPC) besides its agents' sockets. */
const WORKER_OWN_FILES = 200;

function workersFor(agents: number): number {
  const byCpu = Math.max(1, Math.min(os.cpus().length, Math.ceil(agents / 250)));
  const limit = openFilesHardLimit() ?? 1024;
  const byFiles = limit === Infinity ? 1 : Math.ceil(agents / Math.max(1, limit - WORKER_OWN_FILES));
  return Math.max(byCpu, byFiles);
}

export class SimFleet {
  readonly secrets = new Map<string, { hostId: string; secret: string }>();
  private readonly perWorker: SimCounts[];

  private constructor(private readonly workers: ChildProcess[]) {
    this.perWorker = workers.map(() => zeroCounts());
  }

  static async start(o: SimFleetOptions): Promise<SimFleet> {
    const n = o.workers ?? workersFor(o.agents.length);
    const children = Array.from({ length: n }, (_, i) => forkTs(path.join(__dirname, 'worker.ts'), `sim-${i}`));
    const fleet = new SimFleet(children);
    await Promise.all(children.map((c, i) => fleet.listen(c, i)));
    children.forEach((c, i) => {
      const msg: ToWorker = {
        type: 'start',
        url: o.url,
        agents: o.agents.filter((_, j) => j % n === i),
        statsIntervalMs: o.statsIntervalMs ?? 10_000,
        reportIntervalMs: o.reportIntervalMs ?? 30_000,
        selfCheck: o.selfCheck ?? false,
        connectConcurrency: o.connectConcurrency ?? 32,
      };
      c.send(msg);
    });
    return fleet;
  }

  private listen(child: ChildProcess, i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`simulator worker ${i} exited (${code}) before it was ready`)));
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'counts' || m.type === 'collected') this.perWorker[i] = m.counts;
        else if (m.type === 'enrolled') this.secrets.set(m.name, { hostId: m.hostId, secret: m.secret });
      });
    });
  }

  /** The counts summed over the workers, as of their last report (at most 100 ms old). */
  get counts(): SimCounts {
    const sum = zeroCounts();
    for (const c of this.perWorker) for (const k of Object.keys(sum) as (keyof SimCounts)[]) sum[k] += c[k];
    return sum;
  }

  /** Resolves when `ok(counts)` holds; no fixed sleep, it checks on every report. */
  async until(what: string, ok: (c: SimCounts) => boolean, timeoutMs: number): Promise<SimCounts> {
    const deadline = Date.now() + timeoutMs;
    while (!ok(this.counts)) {
      if (Date.now() > deadline) throw new Error(`simulator: timed out waiting for ${what}; counts ${JSON.stringify(this.counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.counts;
  }

  /** Every acknowledgement sent since the last call, and the problems the workers saw. */
  async collect(): Promise<{ acks: AckRecord[]; problems: string[] }> {
    const answers = await Promise.all(
      this.workers.map(
        (c) =>
          new Promise<Extract<FromWorker, { type: 'collected' }>>((resolve) => {
            const on = (m: FromWorker) => {
              if (m.type !== 'collected') return;
              c.off('message', on);
              resolve(m);
            };
            c.on('message', on);
            c.send({ type: 'collect' } satisfies ToWorker);
          }),
      ),
    );
    return { acks: answers.flatMap((a) => a.acks), problems: answers.flatMap((a) => a.problems) };
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid!).filter(Boolean);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            if (c.connected) c.send({ type: 'close' } satisfies ToWorker);
            else c.kill();
          }),
      ),
    );
  }
}
