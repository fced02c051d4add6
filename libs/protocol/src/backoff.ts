import { AGENT_RECONNECT_MAX_MS } from './agent-events';

/** The first retry waits up to this long; every further one up to twice as long, to the cap. */
export const AGENT_RECONNECT_BASE_MS = 1000;

/**
 * How long an agent waits before its `attempt`-th retry (1, 2, …) after the controller refused
 * or could not be reached: exponential with full jitter, uniform in [0, min(cap, base·2^(attempt-1))).
 * Full jitter spreads a fleet that was refused at the same instant (a connect storm, a
 * controller restart) over the whole window instead of bringing it back in lockstep.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random, baseMs = AGENT_RECONNECT_BASE_MS, capMs = AGENT_RECONNECT_MAX_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.floor(random() * ceiling);
}
