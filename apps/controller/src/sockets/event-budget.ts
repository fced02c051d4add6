import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * How many events one sender may emit per minute. An agent reports every few seconds at
 * most; one that sends far more (a bug, or a stolen secret) would otherwise keep the database
 * writing a report per event. In memory: an agent is connected to one replica at a time.
 */
export class EventBudget {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perMinute: number) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** false once `key` has spent its budget for the current minute */
  async take(key: string): Promise<boolean> {
    try {
      await this.limiter.consume(key);
      return true;
    } catch (e) {
      if (e instanceof RateLimiterRes) return false;
      throw e;
    }
  }
}
