/**
 * The apply's file operations are synchronous system calls (durable-fs says why), and a revision
 * may name 100,000 files. A loop over its files gives the event loop a turn every TURN_EVERY
 * items, so the controller link's pings and other requests are still answered mid-apply: a
 * stretch without a turn stays in the tens of milliseconds.
 */
export const TURN_EVERY = 64;

/** Resolves on the event loop's next turn, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A turn for the event loop before item I when I is a multiple of TURN_EVERY (not before the first). */
export async function turnEvery(i: number): Promise<void> {
  if (i > 0 && i % TURN_EVERY === 0) await nextTurn();
}
