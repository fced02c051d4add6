/**
 * Turns for the event loop inside long synchronous work (the queue tally, the agent's apply and
 * mailbox scan): the agent's socket answers pings and requests between slices.
 */

/** Resolves on the event loop's next turn, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A turn before item I when I is a multiple of EVERY (none before the first). */
export async function turnEvery(i: number, every: number): Promise<void> {
  if (i > 0 && i % every === 0) await nextTurn();
}
