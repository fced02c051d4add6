import fs from 'node:fs';
import { AppointmentBook, type RetryHint } from '@qfleet/protocol';

/**
 * Who gets in at the agents' edge, before a handshake costs a database lookup: at most
 * `maxAgents` connections at once (each holds an open file; past the process's limit the
 * database pool, the API and the log could not open theirs), and handshakes at a steady rate
 * (a token bucket), so a connect storm of 10,000 is admitted over seconds instead of queueing
 * logins behind each other until socket.io's timeouts drop them all. An agent refused for the
 * rate is told to retry later and when: the next free admission slot (an appointment), so a
 * storm comes back at the rate it is admitted instead of guessing with exponential backoff.
 * One refused at the cap is told to retry later with no appointment (room comes when agents
 * leave, which cannot be foretold) and backs off with jitter.
 */

/** Every refusal here says this; agents retry such a refusal later, at their appointment or with backoff. */
export const RETRY_LATER = 'retry later';

/** Why a handshake was refused, for people; and, for the agent, when to come back. */
export interface Refusal {
  message: string;
  hint?: RetryHint;
}

/** The soft limit on open files of this process, from /proc/self/limits (`ulimit -n`); null if unknown or unlimited. */
export function openFilesLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const m = text.match(/^Max open files\s+(\d+|unlimited)/m);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}

/**
 * Open files kept for everything but agents: the database pool, Redis, API and dashboard
 * clients, the data directory, logs; 5% of the limit and never fewer than 200.
 */
export function reserveFor(limit: number): number {
  return Math.max(200, Math.ceil(limit * 0.05));
}

/** The agent cap from the open-files limit (20,000 → 19,000); with no known limit, none. */
export function agentCapFrom(limit: number | null): number {
  if (limit === null) return Infinity;
  return Math.max(1, limit - reserveFor(limit));
}

/** A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number = Math.max(1, Math.ceil(ratePerSec)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Says a thing at most once per `everyMs`, with how many times it happened meanwhile. */
export class RateLimitedLog {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly everyMs: number,
    private readonly write: (line: string) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  say(line: string): void {
    const t = this.now();
    if (t - this.lastAt < this.everyMs) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed ? ` (${this.suppressed} more since the last such line)` : '';
    this.suppressed = 0;
    this.lastAt = t;
    this.write(line + more);
  }
}

export class Admission {
  /** admitted handshakes whose authentication (a database lookup) is not over */
  private inFlight = 0;
  /**
   * At most a quarter second's worth of admitted handshakes waiting for the database (at
   * least 16; a lookup takes milliseconds when the controller keeps up): a controller slower
   * than its rate (a loaded machine, a slow disk under the embedded database) stops admitting
   * instead of queueing logins until socket.io's timeouts drop them.
   */
  readonly maxInFlight: number;
  private readonly bucket: TokenBucket;
  private readonly book: AppointmentBook;
  private readonly full: RateLimitedLog;
  private readonly busy: RateLimitedLog;
  private readonly behind: RateLimitedLog;

  constructor(
    readonly maxAgents: number,
    readonly admitPerSecond: number,
    warn: (line: string) => void,
    now: () => number = () => performance.now(),
    random: () => number = Math.random,
  ) {
    // A tenth of a second's worth saved up: the first instant of a storm takes no more work
    // than any other (the rest have appointments); at least two, so an agent a little late for
    // its appointment (its timer, the network) does not take the next one's token.
    this.bucket = new TokenBucket(admitPerSecond, Math.max(2, Math.ceil(admitPerSecond / 10)), now);
    this.book = new AppointmentBook(admitPerSecond, undefined, now, random);
    this.maxInFlight = Math.max(16, Math.ceil(admitPerSecond / 4));
    this.full = new RateLimitedLog(10_000, warn);
    this.busy = new RateLimitedLog(10_000, warn);
    this.behind = new RateLimitedLog(10_000, warn);
  }

  /**
   * Null when a new agent connection may proceed to authenticate, else why not (and for a
   * refusal for the rate, the agent's appointment). `open`: the agent connections open now,
   * this one included.
   */
  refusal(open: number): Refusal | null {
    if (open > this.maxAgents) {
      this.full.say(`refusing new agents: ${open - 1} agent connections open, the cap is ${this.maxAgents} (QFLEET_MAX_AGENTS, or from the open-files limit)`);
      return { message: `the controller holds as many agents as it may (${this.maxAgents}); ${RETRY_LATER}` };
    }
    if (this.inFlight >= this.maxInFlight) return this.appointed(this.behind, `connect storm: ${this.inFlight} agent handshakes waiting for the database`, 'the controller is busy authenticating agents');
    if (!this.bucket.take()) return this.appointed(this.busy, `connect storm: admitting ${this.admitPerSecond} agents a second (QFLEET_AGENT_ADMIT_PER_SECOND)`, `the controller admits ${this.admitPerSecond} agents a second`);
    this.inFlight++;
    return null;
  }

  /** A refusal for now with the agent's appointment: `why` for the agent, `line` for the log (at most once per 10 s). */
  private appointed(log: RateLimitedLog, line: string, why: string): Refusal {
    const retryAfterMs = this.book.book();
    log.say(`${line}; the others are given appointments, booked ${(this.book.aheadMs / 1000).toFixed(1)} s ahead`);
    return { message: `${why}; ${RETRY_LATER} (in ${retryAfterMs} ms)`, hint: { retryAfterMs } };
  }

  /** An admitted handshake's authentication is over (whatever its outcome). */
  settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }
}
