import type { QueueChannel, QueuedMessage } from './types';

/** qmail-send's `chanskip` (qmail-send.c): the step of the retry schedule, in √seconds. */
export const CHANSKIP: Readonly<Record<QueueChannel, number>> = { local: 10, remote: 20 };

/** ⌊√x⌋ exactly: Math.sqrt rounds, and a schedule boundary sits on a perfect square. */
function isqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/**
 * When qmail-send tries a channel of a message next, by its schedule (QMAIL.md §4): attempts
 * at `birth + n²` with n = 0, c, 2c, 3c … (c = chanskip: local 10, remote 20), so the next one
 * after `now` has n the next multiple of c above √(now − birth). qmail-send computes
 * `birth + (⌊√age⌋ + c)²` at each attempt, which is the same instant when attempts run on
 * time; a queue read from outside cannot know when the last one really ran, so the schedule
 * is the best it can say. qmail works in whole seconds.
 */
export function scheduledRetry(birth: Date, channel: QueueChannel, now: Date): Date {
  const birthSec = Math.floor(birth.getTime() / 1000);
  const age = Math.max(0, Math.floor(now.getTime() / 1000) - birthSec);
  const c = CHANSKIP[channel];
  const n = (Math.floor(isqrt(age) / c) + 1) * c;
  return new Date((birthSec + n * n) * 1000);
}

/**
 * The next retry of one channel. qmail-send writes its in-memory schedule to the `local`/`remote`
 * mtimes only when it exits (QMAIL.md §4): an mtime after both the birth and `now` is that
 * written schedule; one at the birth (as todo processing leaves it) or already past is stale,
 * and the schedule gives the time instead.
 */
export function nextRetry(birth: Date, onDisk: Date, channel: QueueChannel, now: Date): Date {
  if (onDisk.getTime() > now.getTime() && onDisk.getTime() > birth.getTime()) return onDisk;
  return scheduledRetry(birth, channel, now);
}

/** `nextRetry` for each channel file the message has. */
export function nextRetries(m: Pick<QueuedMessage, 'queuedAt' | 'nextRetryAt'>, now: Date): { local?: Date; remote?: Date } {
  const out: { local?: Date; remote?: Date } = {};
  if (m.nextRetryAt.local) out.local = nextRetry(m.queuedAt, m.nextRetryAt.local, 'local', now);
  if (m.nextRetryAt.remote) out.remote = nextRetry(m.queuedAt, m.nextRetryAt.remote, 'remote', now);
  return out;
}
