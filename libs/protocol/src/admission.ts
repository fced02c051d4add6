import { z } from 'zod';
import { reconnectDelay } from './backoff';

/**
 * Admission by appointment (issue 11): a controller busy admitting a connect storm refuses a
 * handshake with "retry later" and, in the refusal's `connect_error` data, the time it will
 * have room for this agent. Agents come back at their appointment instead of guessing with
 * exponential backoff, so a storm is admitted at the controller's rate with no idle tail.
 */

/** The `data` of a refused handshake's `connect_error`: come back in `retryAfterMs` ms. */
export const RetryHintSchema = z.object({ retryAfterMs: z.int().min(0) });
export type RetryHint = z.infer<typeof RetryHintSchema>;

/**
 * The longest an agent waits on a controller's word: a hint past it (a broken or hostile
 * controller) is cut to it, so no answer can keep an agent away for longer. Well above an
 * honest appointment (19,000 agents at 500 a second are 38 s); a controller with a longer
 * queue than this does not book past it (agents that come back early are booked again).
 */
export const AGENT_RETRY_HINT_MAX_MS = 120_000;

/** The appointment in a refusal's data, in ms and capped; null when there is none (an older controller) or it is malformed. */
export function retryHintOf(data: unknown): number | null {
  const parsed = RetryHintSchema.safeParse(data);
  return parsed.success ? Math.min(parsed.data.retryAfterMs, AGENT_RETRY_HINT_MAX_MS) : null;
}

/**
 * How long a refused agent waits before its `attempt`-th retry: the controller's appointment
 * when the refusal carries one, else exponential backoff with full jitter (reconnectDelay).
 */
export function refusedRetryDelay(data: unknown, attempt: number, random: () => number = Math.random): { ms: number; appointed: boolean } {
  const hint = retryHintOf(data);
  return hint === null ? { ms: reconnectDelay(attempt, random), appointed: false } : { ms: hint, appointed: true };
}

/**
 * The controller's book of appointments: the next free admission slot, one every 1/rate s
 * after those already handed out, plus a little jitter so agents given neighbouring slots do
 * not arrive in the same instant. Pure (clock and randomness injected) so it can be tested.
 */
export class AppointmentBook {
  /** when the next unbooked slot starts (ms, the injected clock) */
  private nextFree = -Infinity;

  constructor(
    readonly ratePerSec: number,
    readonly jitterMs = 50,
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
    readonly maxMs = AGENT_RETRY_HINT_MAX_MS,
  ) {}

  /** ms from now until the slot booked for one more agent. */
  book(): number {
    const t = this.now();
    const slot = Math.max(this.nextFree, t) + 1000 / this.ratePerSec;
    // Past the longest wait an agent honours, it would come back early and be booked again:
    // hand out the longest wait without taking a slot.
    if (slot - t > this.maxMs) return this.maxMs;
    this.nextFree = slot;
    return Math.min(this.maxMs, Math.ceil(slot - t + this.random() * this.jitterMs));
  }

  /** ms from now until the last slot handed out (0: none pending). */
  get aheadMs(): number {
    return Math.max(0, this.nextFree - this.now());
  }
}
