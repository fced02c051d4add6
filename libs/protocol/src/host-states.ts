/**
 * The states a host can be filtered by, decided in one place so the controller's filters and
 * counts, the CLI and the dashboard agree. Imports nothing at run time: the dashboard takes
 * it through `@qfleet/protocol/ui` without zod.
 */

export const HOST_STATES = ['connected', 'offline', 'failed', 'pending', 'drift', 'held', 'qmail-down', 'queue'] as const;
export type HostState = (typeof HOST_STATES)[number];

/** `state=queue` without `queueAbove`: more messages than this waiting. */
export const DEFAULT_QUEUE_ABOVE = 1000;

/** What the predicates read: a HostView has all of it (`drift` as its paths), the controller's index as a count. */
export interface HostFacts {
  connected: boolean;
  desiredRevision: number;
  appliedRevision: number;
  failedRevision: number | null;
  /** drifted managed files: the paths, or how many */
  drift: readonly string[] | number;
  /** the desired revision is kept back because sending it would overwrite files edited on the host (issue 12) */
  held: boolean;
  qmail: { installed: boolean; running: boolean | null } | null;
  queue: { messages: number } | null;
}

/** The revision the agent refused is not resent by itself (Contract): it shows until fixed. */
export function isFailed(h: Pick<HostFacts, 'failedRevision' | 'desiredRevision'>): boolean {
  return h.failedRevision !== null && h.failedRevision === h.desiredRevision;
}

/** The host has not applied its desired revision yet, and did not refuse it (a held host is pending too). */
export function isPending(h: Pick<HostFacts, 'failedRevision' | 'desiredRevision' | 'appliedRevision'>): boolean {
  return !isFailed(h) && h.appliedRevision !== h.desiredRevision;
}

export function isDrifted(h: Pick<HostFacts, 'drift'>): boolean {
  return typeof h.drift === 'number' ? h.drift > 0 : h.drift.length > 0;
}

/** qmail known to be missing or stopped; unknown (no report yet) is not down. */
export function isQmailDown(h: Pick<HostFacts, 'qmail'>): boolean {
  return !!h.qmail && (!h.qmail.installed || h.qmail.running === false);
}

export function hasQueueAbove(h: Pick<HostFacts, 'queue'>, queueAbove = DEFAULT_QUEUE_ABOVE): boolean {
  return !!h.queue && h.queue.messages > queueAbove;
}

export function hasHostState(h: HostFacts, state: HostState, queueAbove = DEFAULT_QUEUE_ABOVE): boolean {
  switch (state) {
    case 'connected':
      return h.connected;
    case 'offline':
      return !h.connected;
    case 'failed':
      return isFailed(h);
    case 'pending':
      return isPending(h);
    case 'drift':
      return isDrifted(h);
    case 'held':
      return h.held && isPending(h);
    case 'qmail-down':
      return isQmailDown(h);
    case 'queue':
      return hasQueueAbove(h, queueAbove);
  }
}

/** Every state that holds for the host. */
export function hostStates(h: HostFacts, queueAbove = DEFAULT_QUEUE_ABOVE): HostState[] {
  return HOST_STATES.filter((s) => hasHostState(h, s, queueAbove));
}

/** `state=a,b`: a host matches when any of the states holds (none given: every host). */
export function matchesStates(h: HostFacts, states: readonly HostState[] | undefined, queueAbove = DEFAULT_QUEUE_ABOVE): boolean {
  return !states?.length || states.some((s) => hasHostState(h, s, queueAbove));
}

export const HOST_SORTS = ['name', 'groups', 'connected', 'qmail', 'desiredRevision', 'appliedRevision', 'drift', 'queue', 'oldest', 'lastSeen'] as const;
export type HostSort = (typeof HOST_SORTS)[number];

/** `GET /api/fleet/summary`, and the `/ui` `fleetSummary` event. */
export interface FleetSummary {
  hosts: number;
  connected: number;
  offline: number;
  failed: number;
  pending: number;
  drifted: number;
  held: number;
  qmailDown: number;
  /** summed over the latest queue figures of every host */
  messagesQueued: number;
  /** the oldest waiting message in the fleet; null when no host reported one */
  oldestMessageAgeSec: number | null;
}
