import type { Logger } from '@nestjs/common';
import { SampleBuffer, type PendingSample } from './sample-buffer';

/** Samples are written this often, in one statement each time. */
export const FLUSH_MS = 1000;
/** Rows in one statement at most; more wait for the next flush (started at once). */
export const FLUSH_ROWS = 5000;

export interface SampleWriterOptions<T> {
  /** what the samples are, for the log ("queue", "mailbox") */
  what: string;
  /** samples waiting at most; past it they are dropped and counted (SampleBuffer) */
  capacity: number;
  /** stores one batch in one statement; a rejection keeps the batch for the next flush */
  write: (batch: PendingSample<T>[]) => Promise<void>;
  logger: Logger;
}

/**
 * The write path of per-host, per-minute samples (queue and mailbox figures): a bounded buffer
 * flushed once a second, one statement per flush and one flush at a time. A slow or absent
 * database costs history points (counted, shown in /metrics), never an unbounded queue of writes.
 */
export class SampleWriter<T> {
  private readonly buffer: SampleBuffer<T>;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** a failing database is said once per streak, not once per flush */
  private failing = false;

  constructor(private readonly opts: SampleWriterOptions<T>) {
    this.buffer = new SampleBuffer<T>(opts.capacity);
  }

  /** Samples waiting to be written. */
  get queued(): number {
    return this.buffer.size;
  }

  /** Samples lost to the bound since start. */
  get dropped(): number {
    return this.buffer.dropped;
  }

  /** Every pending sample, oldest first, without taking them. */
  values(): IterableIterator<PendingSample<T>> {
    return this.buffer.values();
  }

  /** Buffers the sample of a host's minute (`at`, ms); nothing waits for the database. */
  add(hostId: string, at: number, sample: T): void {
    this.buffer.add(hostId, at, sample);
    this.schedule(FLUSH_MS);
  }

  /** Writes what is buffered now (and waits for a write in progress first). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (!this.buffer.size) return;
    const batch = this.buffer.take(FLUSH_ROWS);
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
      if (this.buffer.size) this.schedule(this.buffer.size >= FLUSH_ROWS ? 0 : FLUSH_MS);
    });
    await this.flushing;
  }

  private schedule(ms: number): void {
    // Unref'd: a pending batch never keeps the process up; shutdown flushes it (onModuleDestroy).
    this.timer ??= setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }

  private async write(batch: PendingSample<T>[]): Promise<void> {
    try {
      await this.opts.write(batch);
      if (this.failing) this.opts.logger.log(`${this.opts.what} samples are stored again`);
      this.failing = false;
    } catch (e) {
      // Kept for the next flush, within the bound: a database restart costs no history if short.
      this.buffer.restore(batch);
      if (!this.failing) this.opts.logger.warn(`cannot store ${batch.length} ${this.opts.what} sample(s), keeping up to ${this.opts.capacity}: ${(e as Error).message.split('\n').at(-1)}`);
      this.failing = true;
    }
  }
}
