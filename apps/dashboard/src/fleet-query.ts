/**
 * The fleet page's view of the fleet (issue 13): search, group, states, queue threshold, sort
 * and page, kept in the address bar so that a link shows a colleague the same hosts. Pure
 * functions: the URL in, the API's query out.
 */

import { DEFAULT_QUEUE_ABOVE, HOST_SORTS, HOST_STATES, type HostSort, type HostState } from '@qfleet/protocol/ui';

/** The state chips; the controller's `state=` takes any of them, comma separated (a host matches any one). */
export const FLEET_STATES = HOST_STATES;
export type FleetState = HostState;

/** What each chip means, for its title. */
export const STATE_INFO: Record<FleetState, string> = {
  connected: 'agent connected now',
  offline: 'agent not connected',
  failed: 'the desired revision failed on the host',
  pending: 'the desired revision is not applied yet',
  drift: 'managed files edited on the host',
  held: 'a revision waits because of drift',
  'qmail-down': 'qmail-send not running or not installed',
  queue: 'more messages waiting than the threshold',
};

/** The sortable columns. */
export const FLEET_SORTS = HOST_SORTS;
export type FleetSort = HostSort;
export { DEFAULT_QUEUE_ABOVE };
export type Order = 'asc' | 'desc';

export const PAGE_SIZES = [50, 100, 500, 1000] as const;
export const DEFAULT_PAGE_SIZE = 100;

export interface FleetQuery {
  q: string;
  group: string;
  states: FleetState[];
  /** what the `queue` chip means: more than this many messages (null: the controller's default) */
  queueAbove: number | null;
  sort: FleetSort;
  order: Order;
  page: number;
  pageSize: number;
}

export const DEFAULT_QUERY: FleetQuery = { q: '', group: '', states: [], queueAbove: null, sort: 'name', order: 'asc', page: 1, pageSize: DEFAULT_PAGE_SIZE };

const positive = (s: string | null): number | null => {
  if (s === null || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
};

/** Reads the address bar's query; anything unknown or malformed falls back to the default, so an old link still opens. */
export function parseFleetQuery(search: string): FleetQuery {
  const p = new URLSearchParams(search);
  const sort = p.get('sort');
  const order = p.get('order');
  const size = positive(p.get('pageSize'));
  const states = (p.get('state') ?? '')
    .split(',')
    .filter((s): s is FleetState => (FLEET_STATES as readonly string[]).includes(s));
  return {
    q: (p.get('q') ?? '').trim(),
    group: p.get('group') ?? '',
    states: FLEET_STATES.filter((s) => states.includes(s)),
    queueAbove: positive(p.get('queueAbove')),
    sort: (FLEET_SORTS as readonly string[]).includes(sort ?? '') ? (sort as FleetSort) : DEFAULT_QUERY.sort,
    order: order === 'desc' ? 'desc' : 'asc',
    page: Math.max(1, positive(p.get('page')) ?? 1),
    pageSize: size !== null && (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
}

/** The address bar's query for `q`: only what differs from the default, so the plain page stays `/`. */
export function fleetSearch(q: FleetQuery): string {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  if (q.group) p.set('group', q.group);
  if (q.states.length) p.set('state', q.states.join(','));
  if (q.queueAbove !== null) p.set('queueAbove', String(q.queueAbove));
  if (q.sort !== DEFAULT_QUERY.sort || q.order !== DEFAULT_QUERY.order) {
    p.set('sort', q.sort);
    p.set('order', q.order);
  }
  if (q.page !== 1) p.set('page', String(q.page));
  if (q.pageSize !== DEFAULT_PAGE_SIZE) p.set('pageSize', String(q.pageSize));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** `GET /api/hosts`'s query for `q`: always paged, so the controller never sends the whole fleet. */
export function apiHostsQuery(q: FleetQuery): string {
  const p = new URLSearchParams({ page: String(q.page), pageSize: String(q.pageSize), sort: q.sort, order: q.order });
  if (q.q) p.set('q', q.q);
  if (q.group) p.set('group', q.group);
  if (q.states.length) p.set('state', q.states.join(','));
  if (q.queueAbove !== null && q.states.includes('queue')) p.set('queueAbove', String(q.queueAbove));
  return `?${p.toString()}`;
}

/** Whether anything narrows the list (the search, a group or a state). */
export function isFiltered(q: FleetQuery): boolean {
  return Boolean(q.q || q.group || q.states.length);
}

/** Sorting by a column whose values move on their own (connection, queue…): a live change can reorder the page. */
export function sortMoves(sort: FleetSort): boolean {
  return sort !== 'name' && sort !== 'groups';
}
