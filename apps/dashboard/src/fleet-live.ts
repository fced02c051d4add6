import type { Host, HostsDelta } from './api';
import { DEFAULT_QUEUE_ABOVE, matchesStates } from '@qfleet/protocol/ui';
import { isFiltered, sortMoves, type FleetQuery, type FleetSort } from './fleet-query';

/**
 * Live updates of one page of the fleet (issue 13): the controller sends the hosts that changed
 * (`hosts` on `/ui`); the rows on screen are replaced in place, and the page is fetched again
 * only when a change can move hosts in or out of it. Pure functions, so the decision is the same
 * in every browser and readable in one place.
 */

/** Whether `h` is on the page's filter, by the rules the controller filters with (host-states.ts). */
export function matchesQuery(h: Host, q: FleetQuery): boolean {
  if (q.q && !h.name.toLowerCase().includes(q.q.toLowerCase())) return false;
  if (q.group && !h.groups.includes(q.group)) return false;
  return matchesStates(h, q.states, q.queueAbove ?? DEFAULT_QUEUE_ABOVE);
}

// unknown, not installed, stopped, installed (not supervised), running: the controller's order (host-list.ts)
const QMAIL_RANK = (h: Host): number => (!h.qmail ? -1 : !h.qmail.installed ? 0 : h.qmail.running === false ? 1 : h.qmail.running === null ? 2 : 3);

/** The value a column sorts by (numbers, or the name); null-like values sort as -1. */
export function sortKey(h: Host, sort: FleetSort): number | string {
  switch (sort) {
    case 'name':
      return h.name;
    case 'groups':
      return h.groups.join(',');
    case 'connected':
      return h.connected ? 1 : 0;
    case 'qmail':
      return QMAIL_RANK(h);
    case 'desiredRevision':
      return h.desiredRevision;
    case 'appliedRevision':
      return h.appliedRevision;
    case 'drift':
      return h.drift.length;
    case 'queue':
      return h.queue?.messages ?? -1;
    case 'oldest':
      return h.queue?.oldestAgeSec ?? -1;
    case 'lastSeen':
      return h.lastSeen ? Date.parse(h.lastSeen) : -1;
  }
}

type Side = 'below' | 'inside' | 'above';

/** Where a key falls against the keys of the rows on screen. */
function side(key: number | string, rows: Host[], sort: FleetSort): Side {
  let min: number | string | undefined;
  let max: number | string | undefined;
  for (const r of rows) {
    const k = sortKey(r, sort);
    if (min === undefined || k < min) min = k;
    if (max === undefined || k > max) max = k;
  }
  if (min === undefined || max === undefined) return 'inside';
  if (key < min) return 'below';
  if (key > max) return 'above';
  return 'inside';
}

export interface LiveResult {
  /** the page with the changed hosts replaced (the same array when none was on it) */
  rows: Host[];
  /** whether the page must be fetched again */
  refetch: boolean;
}

/**
 * Applies one `hosts` event to the page `rows` shown for `q`. `known` holds the last view of
 * every host seen (pages and events), to tell whether an off-screen host has just entered or
 * left the filter; it is updated here.
 */
export function applyHostsEvent(rows: Host[], q: FleetQuery, event: HostsDelta, known: Map<string, Host>): LiveResult {
  if (event.resync) {
    for (const h of event.changed) known.set(h.id, h);
    return { rows, refetch: true };
  }
  const onScreen = new Map(rows.map((r, i) => [r.id, i]));
  let next = rows;
  // A host never seen may have been counted in a filtered page's total: fetched again, so the count is right.
  let refetch = event.removed.some((id) => onScreen.has(id) || !isFiltered(q) || (known.has(id) ? matchesQuery(known.get(id)!, q) : true));
  const moves = sortMoves(q.sort);
  for (const h of event.changed) {
    const prior = known.get(h.id);
    known.set(h.id, h);
    const now = matchesQuery(h, q);
    const at = onScreen.get(h.id);
    if (at !== undefined) {
      if (next === rows) next = rows.slice();
      const old = next[at];
      next[at] = h;
      if (!now) refetch = true;
      else if (moves && sortKey(old, q.sort) !== sortKey(h, q.sort)) refetch = true;
      continue;
    }
    if (refetch) continue;
    if (!now) {
      // It left the filter: the count and the rows after it shift. The event carries no
      // earlier view, so a host never seen before (off the pages shown since loading) may have
      // been counted: fetched again once, after which its view is known.
      if (!prior || matchesQuery(prior, q)) refetch = true;
      continue;
    }
    if (!prior) {
      // Unfiltered, every host was already counted (new hosts show in the summary's count).
      if (isFiltered(q)) refetch = true;
      continue;
    }
    if (!matchesQuery(prior, q)) {
      refetch = true;
      continue;
    }
    if (moves) {
      const was = side(sortKey(prior, q.sort), rows, q.sort);
      const is = side(sortKey(h, q.sort), rows, q.sort);
      if (is === 'inside' || was !== is) refetch = true;
    }
  }
  return { rows: next, refetch };
}
