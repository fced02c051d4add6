import { isDrifted, isFailed, isPending, isQmailDown, matchesStates, type FleetSummary, type HostFacts, type HostListQuery, type HostSort, type HostView } from '@qfleet/protocol';

/**
 * What the host list filters, sorts and counts by (issue 13): the small columns of every host
 * plus what the controller holds in memory (connection, queue figures). The full HostView is
 * built only for the page that is answered.
 */
export interface ListedHost extends HostFacts {
  id: string;
  name: string;
  groups: string[];
  drift: number;
  lastSeen: Date | null;
  queue: { messages: number; oldestAgeSec: number | null } | null;
}

/** The sorts that read what each request sets (connection, queue figures) rather than the stored facts. */
export const LIVE_SORTS: readonly HostSort[] = ['connected', 'queue', 'oldest'];

/** Missing values (never seen, no queue figures, qmail unknown) sort first ascending. */
const keyOf: Record<HostSort, (h: ListedHost) => string | number> = {
  name: (h) => h.name,
  groups: (h) => h.groups.join(','),
  connected: (h) => (h.connected ? 1 : 0),
  // unknown, not installed, stopped, installed (not supervised), running
  qmail: (h) => (!h.qmail ? -1 : !h.qmail.installed ? 0 : h.qmail.running === false ? 1 : h.qmail.running === null ? 2 : 3),
  desiredRevision: (h) => h.desiredRevision,
  appliedRevision: (h) => h.appliedRevision,
  drift: (h) => h.drift,
  queue: (h) => h.queue?.messages ?? -1,
  oldest: (h) => h.queue?.oldestAgeSec ?? -1,
  lastSeen: (h) => h.lastSeen?.getTime() ?? -1,
};

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The hosts matching the query's state filter (name and group are filtered by the caller),
 * sorted; ties by name. `nameOrdered`: the hosts come in name order already (FleetFacts.byName),
 * so a sort by name is none, and another sort keeps the name order of ties (a stable sort).
 */
export function filterAndSort(hosts: ListedHost[], query: Pick<HostListQuery, 'state' | 'queueAbove' | 'sort' | 'order'>, nameOrdered = false): ListedHost[] {
  const matching = query.state?.length ? hosts.filter((h) => matchesStates(h, query.state, query.queueAbove)) : hosts.slice();
  const dir = query.order === 'desc' ? -1 : 1;
  if (nameOrdered && query.sort === 'name') return dir < 0 ? matching.reverse() : matching;
  const key = keyOf[query.sort];
  // Keys computed once: a sort of 10,000 hosts calls the comparator ~130,000 times. Hosts in
  // name order need no tie-break: the sort is stable.
  const keyed = matching.map((h) => ({ h, k: key(h) }));
  keyed.sort(nameOrdered ? (a, b) => dir * compare(a.k, b.k) : (a, b) => dir * compare(a.k, b.k) || compare(a.h.name, b.h.name));
  return keyed.map((x) => x.h);
}

export function pageOf<T>(items: T[], page: number, pageSize: number): T[] {
  return items.slice((page - 1) * pageSize, page * pageSize);
}

export function summarize(hosts: ListedHost[]): FleetSummary {
  const s: FleetSummary = { hosts: hosts.length, connected: 0, offline: 0, failed: 0, pending: 0, drifted: 0, held: 0, qmailDown: 0, messagesQueued: 0, oldestMessageAgeSec: null };
  for (const h of hosts) {
    if (h.connected) s.connected++;
    else s.offline++;
    if (isFailed(h)) s.failed++;
    if (isPending(h)) {
      s.pending++;
      if (h.held) s.held++;
    }
    if (isDrifted(h)) s.drifted++;
    if (isQmailDown(h)) s.qmailDown++;
    if (h.queue) {
      s.messagesQueued += h.queue.messages;
      if (h.queue.oldestAgeSec !== null && (s.oldestMessageAgeSec === null || h.queue.oldestAgeSec > s.oldestMessageAgeSec)) s.oldestMessageAgeSec = h.queue.oldestAgeSec;
    }
  }
  return s;
}

/** A built view as the facts the sorts read: its page is put in order of its own, fresh values. */
export function factsOfView(v: HostView): ListedHost {
  return { ...v, drift: v.drift.length, lastSeen: v.lastSeen ? new Date(v.lastSeen) : null };
}
