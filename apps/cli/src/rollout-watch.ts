import { Presets, SingleBar } from 'cli-progress';
import { io } from 'socket.io-client';
import { ROLLOUT_HOST_STATES, UI_NAMESPACE, UiEvent, type RolloutCounts, type RolloutHostView, type RolloutSummary, type RolloutView } from '@qfleet/protocol';
import type { Context } from './context';

/** Hosts whose part is not over yet: everything else counts as done on the bar. */
const OPEN = new Set(['pending', 'applying']);
/** A missed event (a dropped socket, a proxy without WebSockets) is made up for by this. */
const POLL_MS = 5000;

/** How counts read: what is done first, in the protocol's order, then what is not. */
const COUNT_ORDER = [...ROLLOUT_HOST_STATES.filter((s) => !OPEN.has(s)), 'applying', 'pending'] as const;

/** "2 applied, 1 failed, 1 pending": the states that have hosts. */
export function countsText(counts: RolloutCounts): string {
  const parts = COUNT_ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no hosts';
}

/** "batch 2 of 3"; once every batch is done, the last. */
export function batchText(s: Pick<RolloutSummary, 'batch' | 'batches'>): string {
  if (!s.batches) return 'no batches';
  return `batch ${Math.min(s.batch + 1, s.batches)} of ${s.batches}`;
}

/** From the counts, which cover every host (the view's `hosts` is one page of them). */
export function hostsDone(v: Pick<RolloutSummary, 'counts'>): number {
  return ROLLOUT_HOST_STATES.filter((s) => !OPEN.has(s)).reduce((n, s) => n + v.counts[s], 0);
}

export function hostsIn(v: Pick<RolloutSummary, 'counts'>): number {
  return ROLLOUT_HOST_STATES.reduce((n, s) => n + v.counts[s], 0);
}

/** One host's state for people: what happened, with its revision or its error. */
export function hostStateText(h: RolloutHostView): string {
  switch (h.state) {
    case 'applied':
      return `applied${h.revision !== null ? ` (revision ${h.revision})` : ''}`;
    case 'offline':
      return `offline: revision ${h.revision ?? '?'} is stored, the host gets it when its agent connects`;
    case 'unchanged':
      return 'unchanged: it already had the change';
    case 'applying':
      return `applying revision ${h.revision ?? '?'}`;
    default:
      return `${h.state}${h.error ? `: ${h.error}` : ''}`;
  }
}

interface Display {
  update(view: RolloutView): void;
  stop(): void;
}

/** On a terminal: one bar of hosts done, with the batch and the counts beside it. */
class BarDisplay implements Display {
  private bar?: SingleBar;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(v: RolloutView): void {
    const payload = { detail: `${batchText(v)} | ${countsText(v.counts)}` };
    if (this.bar) {
      this.bar.update(hostsDone(v), payload);
      return;
    }
    this.bar = new SingleBar(
      { stream: this.out, format: `rollout ${v.id.slice(0, 8)} {bar} {value}/{total} hosts | {detail}`, hideCursor: true, barsize: 30, clearOnComplete: false },
      Presets.shades_classic,
    );
    this.bar.start(hostsIn(v), hostsDone(v), payload);
  }

  stop(): void {
    this.bar?.stop();
  }
}

/**
 * Anywhere else (a pipe, a log file): one plain line for each thing that changed, each host's
 * under its batch's. Events that come close together are fetched as one, so a host may go
 * from pending to applied in one line, and several batches may start between two fetches.
 */
class LineDisplay implements Display {
  private readonly states = new Map<string, string>();
  /** the last batch that got its line */
  private announced = -1;
  private started = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  update(v: RolloutView): void {
    const lines: string[] = [];
    if (!this.started) lines.push(`rollout ${v.id} (${v.kind}): ${hostsIn(v)} host${hostsIn(v) === 1 ? '' : 's'} in ${v.batches} batch${v.batches === 1 ? '' : 'es'}, ${v.status}`);
    this.started = true;
    const announce = (upTo: number) => {
      for (; this.announced < Math.min(upTo, v.batches - 1); this.announced++)
        lines.push(`${batchText({ batch: this.announced + 1, batches: v.batches })}: ${v.hosts.filter((h) => h.batch === this.announced + 1).map((h) => h.name).join(', ')}`);
    };
    for (const h of v.hosts) {
      if ((this.states.get(h.hostId) ?? 'pending') !== h.state) {
        announce(h.batch);
        lines.push(`${h.name}: ${hostStateText(h)}`);
      }
      this.states.set(h.hostId, h.state);
    }
    if (v.status === 'running') announce(v.batch);
    for (const line of lines) this.out.write(`${line}\n`);
  }

  stop(): void {
    /* every line is out already */
  }
}

/**
 * Follows a rollout until it stops running (completed, halted, cancelled or paused) and
 * returns its last view. Progress comes from the controller's `/ui` socket: each
 * `rollout.progress` for this rollout fetches the view again (fetches never overlap; events
 * that come during one make one more). Progress goes to stdout, or to stderr with --json,
 * where stdout is kept for the final view.
 */
export async function watchRollout(ctx: Context, id: string): Promise<RolloutView> {
  // The largest page: host by host lines follow the first 1,000 hosts; the bar and counts all.
  const route = `/api/rollouts/${encodeURIComponent(id)}?pageSize=1000`;
  const first = await ctx.api.get<RolloutView>(route);
  if (first.status !== 'running') return first;

  const out = ctx.options.json ? process.stderr : process.stdout;
  const display: Display = out.isTTY ? new BarDisplay(out) : new LineDisplay(out);
  display.update(first);

  const socket = io(`${ctx.options.url.replace(/\/+$/, '')}${UI_NAMESPACE}`, {
    auth: { token: ctx.options.token },
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  let poll: NodeJS.Timeout | undefined;
  let onInterrupt: (() => void) | undefined;
  try {
    return await new Promise<RolloutView>((resolve, reject) => {
      let fetching = false;
      let again = false;
      let over = false;
      const refresh = async () => {
        if (over) return;
        if (fetching) {
          again = true;
          return;
        }
        fetching = true;
        try {
          do {
            again = false;
            const view = await ctx.api.get<RolloutView>(route);
            if (over) return;
            display.update(view);
            if (view.status !== 'running') {
              over = true;
              resolve(view);
              return;
            }
          } while (again);
        } catch (e) {
          over = true;
          reject(e);
        } finally {
          fetching = false;
        }
      };
      // On (re)connect, look again: events sent while there was no socket are lost.
      socket.on('connect', () => void refresh());
      socket.on(UiEvent.rolloutProgress, (s: RolloutSummary) => {
        if (s?.id === id) void refresh();
      });
      socket.on('connect_error', (err) => {
        // Refused by the controller (not a network error): no retries; the poll carries on.
        if (!socket.active) process.stderr.write(`qfleet: no live progress (${err.message}); looking every ${POLL_MS / 1000} s instead\n`);
      });
      poll = setInterval(() => void refresh(), POLL_MS);
      onInterrupt = () => {
        display.stop();
        process.stderr.write(`\nqfleet: stopped watching; the rollout goes on (qfleet rollout watch ${id})\n`);
        process.exit(130);
      };
      process.once('SIGINT', onInterrupt);
    });
  } finally {
    if (poll) clearInterval(poll);
    if (onInterrupt) process.removeListener('SIGINT', onInterrupt);
    socket.close();
    display.stop();
  }
}
