/** One stored sample (queue or mailbox figures): a host's figures in one minute. */
export interface PendingSample<T> {
  hostId: string;
  /** the minute, in ms since the epoch */
  at: number;
  sample: T;
}

/**
 * Samples waiting to be written, bounded. Within a minute a host's later report replaces its
 * earlier one (one stored sample per host per minute). When the buffer is full, a host's older
 * pending sample gives way to its newer one; a host with nothing pending loses the new sample.
 * Either way the loss is counted: the latest figures are still in memory for the API, only the
 * history misses a point, and the heap stays bounded however slow the database is.
 */
export class SampleBuffer<T> {
  /** insertion order is write order: the oldest first */
  private readonly byKey = new Map<string, PendingSample<T>>();
  private readonly keysByHost = new Map<string, Set<string>>();
  /** samples lost to the bound since start */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`a sample buffer needs room for at least one sample, not ${capacity}`);
  }

  get size(): number {
    return this.byKey.size;
  }

  add(hostId: string, at: number, sample: T): void {
    const key = `${hostId}\0${at}`;
    const same = this.byKey.get(key);
    if (same) {
      same.sample = sample;
      return;
    }
    if (this.byKey.size >= this.capacity) {
      const older = this.keysByHost.get(hostId);
      const oldest = older?.values().next().value;
      if (oldest === undefined) {
        this.dropped++;
        return;
      }
      this.remove(oldest);
      this.dropped++;
    }
    this.byKey.set(key, { hostId, at, sample });
    let keys = this.keysByHost.get(hostId);
    if (!keys) this.keysByHost.set(hostId, (keys = new Set()));
    keys.add(key);
  }

  /**
   * Puts back samples whose write failed, unless a newer one for the same minute arrived
   * meanwhile; the bound holds as for new samples.
   */
  restore(samples: PendingSample<T>[]): void {
    for (const s of samples) if (!this.byKey.has(`${s.hostId}\0${s.at}`)) this.add(s.hostId, s.at, s.sample);
  }

  /** Removes and returns up to `max` samples, the oldest first. */
  take(max: number): PendingSample<T>[] {
    const out: PendingSample<T>[] = [];
    for (const key of this.byKey.keys()) {
      if (out.length >= max) break;
      out.push(this.byKey.get(key)!);
      this.remove(key);
    }
    return out;
  }

  /** Every pending sample, oldest first, without taking them. */
  values(): IterableIterator<PendingSample<T>> {
    return this.byKey.values();
  }

  private remove(key: string): void {
    const s = this.byKey.get(key);
    if (!s) return;
    this.byKey.delete(key);
    const keys = this.keysByHost.get(s.hostId);
    keys?.delete(key);
    if (keys && !keys.size) this.keysByHost.delete(s.hostId);
  }
}
