/**
 * How many events one sender may emit per minute. An agent reports every few seconds at
 * most; one that sends far more (a bug, or a stolen secret) would otherwise keep the database
 * writing a report per event. In memory: an agent is connected to one replica at a time.
 *
 * A fixed window per sender, starting at its first event, checked synchronously: every event
 * of every agent passes here (10,000 agents send 1,000 a second), and the promise and the
 * timer per sender that rate-limiter-flexible's in-memory limiter spent on each were a
 * measurable part of the controller's CPU for the same answer.
 */
export class EventBudget {
  private readonly windows = new Map<string, { start: number; spent: number }>();
  private lastSweep: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    private readonly windowMs = 60_000,
  ) {
    this.lastSweep = now();
  }

  /** false once `key` has spent its budget for the current window */
  take(key: string): boolean {
    const t = this.now();
    this.sweep(t);
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) this.windows.set(key, (w = { start: t, spent: 0 }));
    w.spent++;
    return w.spent <= this.perMinute;
  }

  /** Senders with a window open (a host that went away is forgotten within two windows). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < this.windowMs) return;
    this.lastSweep = t;
    for (const [key, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(key);
  }
}
