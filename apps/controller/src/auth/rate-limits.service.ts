import { HttpException, HttpStatus, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';

/** 429 with the seconds to wait; the guard also sets Retry-After. */
export class TooManyRequests extends HttpException {
  constructor(
    readonly retryAfterSec: number,
    message: string,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * REST budgets per minute, so that one caller cannot take the controller from everyone: one
 * per API token, and one per client address for whatever comes without a valid token (a
 * guesser pays before each database lookup). With REDIS_URL the replicas share the counts;
 * if Redis is unreachable each replica counts for itself.
 */
@Injectable()
export class RateLimits implements OnModuleDestroy {
  private readonly logger = new Logger('rate-limit');
  private readonly redis?: Redis;
  private readonly byToken: RateLimiterAbstract;
  private readonly byAddress: RateLimiterAbstract;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    if (settings.redisUrl) this.redis = new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    this.redis?.on('error', () => undefined); // the insurance limiter takes over; ioredis reconnects
    this.byToken = this.limiter('token', settings.rateLimitToken);
    this.byAddress = this.limiter('anonymous', settings.rateLimitAnonymous);
  }

  private limiter(name: string, points: number): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix: name });
    if (!this.redis) return memory;
    return new RateLimiterRedis({ storeClient: this.redis, points, duration: 60, keyPrefix: `${this.settings.redisKey}:rate:${name}`, insuranceLimiter: memory });
  }

  /** Throws TooManyRequests once the token has spent its minute's budget. */
  async spendToken(tokenId: string, tokenName: string): Promise<void> {
    const over = `the API token "${tokenName}" made more than ${this.settings.rateLimitToken} requests this minute (QFLEET_RATE_LIMIT_TOKEN)`;
    await this.spend(this.byToken, tokenId, this.settings.rateLimitToken, over);
  }

  /** Throws TooManyRequests once the address has spent its budget for requests without a valid token. */
  async spendAnonymous(address: string): Promise<void> {
    await this.spend(this.byAddress, address, this.settings.rateLimitAnonymous, this.anonymousOver(address));
  }

  /** Refuses before the token lookup when the address has already spent its anonymous budget. */
  async checkAnonymous(address: string): Promise<void> {
    const res = await this.byAddress.get(address).catch(() => null);
    if (res && res.consumedPoints >= this.settings.rateLimitAnonymous) throw this.tooMany(res, this.anonymousOver(address));
  }

  private anonymousOver(address: string): string {
    return `${address} made more than ${this.settings.rateLimitAnonymous} requests without a valid token this minute (QFLEET_RATE_LIMIT_ANONYMOUS)`;
  }

  private async spend(limiter: RateLimiterAbstract, key: string, points: number, message: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      // One line per refusal would itself be a flood: the first one over each minute's budget.
      if (e.consumedPoints === points + 1) this.logger.warn(message);
      throw this.tooMany(e, message);
    }
  }

  private tooMany(res: RateLimiterRes, message: string): TooManyRequests {
    const retryAfterSec = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new TooManyRequests(retryAfterSec, `${message}; retry in ${retryAfterSec} s`);
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
