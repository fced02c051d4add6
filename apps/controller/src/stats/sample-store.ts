import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { PendingSample } from './sample-buffer';
import { SampleWriter } from './sample-writer';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * What the queue and mailbox figures share: samples of a host's minute buffered and written by
 * a bounded SampleWriter (one statement a second; what the bound drops is counted for /metrics),
 * older samples rolled up every hour, and what is buffered written once more at shutdown.
 */
export abstract class SampleStore<S> implements OnModuleInit, OnModuleDestroy {
  protected readonly logger: Logger;
  private pending: SampleWriter<S>;
  private rollUpTimer?: NodeJS.Timeout;

  constructor(
    private readonly what: string,
    capacity: number,
    logContext: string,
  ) {
    this.logger = new Logger(logContext);
    this.pending = this.writer(capacity);
  }

  /** Stores one batch in one statement (an upsert: a later flush may carry the same host and minute). */
  protected abstract write(batch: PendingSample<S>[]): Promise<void>;

  /** Thins and drops old samples; run every hour. */
  abstract rollUp(now: Date): Promise<{ thinned: number; dropped: number }>;

  onModuleInit(): void {
    this.rollUpTimer = setInterval(() => void this.rollUp(new Date()).catch((e: Error) => this.logger.warn(`roll-up failed: ${e.message}`)), HOUR);
    this.rollUpTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.rollUpTimer) clearInterval(this.rollUpTimer);
    // What is buffered is written before the database closes (one try).
    await this.flush().catch(() => undefined);
  }

  /** Samples waiting to be written (the write queue's depth in /metrics). */
  get queued(): number {
    return this.pending.queued;
  }

  /** Samples lost to the buffer's bound since start. */
  get dropped(): number {
    return this.pending.dropped;
  }

  /** Writes what is buffered now (and waits for a write in progress first). */
  flush(): Promise<void> {
    return this.pending.flush();
  }

  /** Buffers the sample of the minute of `at` (ISO time): one row per host and minute, the latest winning. */
  protected addSample(hostId: string, at: string, sample: S): void {
    this.pending.add(hostId, Math.floor(Date.parse(at) / MINUTE) * MINUTE, sample);
  }

  /** Samples not yet written, oldest first. */
  protected pendingSamples(): IterableIterator<PendingSample<S>> {
    return this.pending.values();
  }

  /** Another bound (tests of the bound); call before the first sample. */
  withCapacity(capacity: number): this {
    this.pending = this.writer(capacity);
    return this;
  }

  private writer(capacity: number): SampleWriter<S> {
    return new SampleWriter<S>({ what: this.what, capacity, logger: this.logger, write: (batch) => this.write(batch) });
  }
}
