import type { Host } from './api';
import { applyHostsEvent, matchesQuery } from './fleet-live';
import { apiHostsQuery, DEFAULT_QUERY, fleetSearch, parseFleetQuery, type FleetQuery } from './fleet-query';

const host = (name: string, over: Partial<Host> = {}): Host => ({
  id: `id-${name}`,
  name,
  groups: ['eu'],
  connected: true,
  lastSeen: '2026-11-27T10:00:00.000Z',
  desiredRevision: 1,
  appliedRevision: 1,
  failedRevision: null,
  lastApply: null,
  driftPolicy: 'report',
  drift: [],
  agentVersion: '0.1.0',
  qmail: { installed: true, running: true, since: null },
  queue: null,
  held: false,
  ...over,
});
const q = (over: Partial<FleetQuery> = {}): FleetQuery => ({ ...DEFAULT_QUERY, ...over });

describe('the fleet page address', () => {
  it('round-trips a view, leaves defaults out, and drops what it does not know', () => {
    const view = q({ q: 'mx', group: 'eu', states: ['offline', 'failed'], sort: 'queue', order: 'desc', page: 3, pageSize: 500 });
    expect(fleetSearch(view)).toBe('?q=mx&group=eu&state=offline%2Cfailed&sort=queue&order=desc&page=3&pageSize=500');
    expect(parseFleetQuery(fleetSearch(view))).toEqual(view);
    expect(fleetSearch(DEFAULT_QUERY)).toBe('');
    expect(parseFleetQuery('?state=failed,bogus&sort=nope&page=-2&pageSize=7')).toEqual(q({ states: ['failed'] }));
  });

  it('always asks the controller for a page, and for queueAbove only with the queue chip', () => {
    expect(apiHostsQuery(DEFAULT_QUERY)).toBe('?page=1&pageSize=100&sort=name&order=asc');
    expect(apiHostsQuery(q({ queueAbove: 5 }))).not.toContain('queueAbove');
    expect(apiHostsQuery(q({ queueAbove: 5, states: ['queue'] }))).toContain('queueAbove=5');
  });
});

describe('live rows', () => {
  it('matches name, group and states the way the controller filters', () => {
    expect(matchesQuery(host('mx1.EU.example'), q({ q: 'eu.ex' }))).toBe(true);
    expect(matchesQuery(host('mx1'), q({ group: 'us' }))).toBe(false);
    expect(matchesQuery(host('mx1', { connected: false }), q({ states: ['failed', 'offline'] }))).toBe(true);
    expect(matchesQuery(host('mx1', { queue: { messages: 3 } as Host['queue'] }), q({ states: ['queue'], queueAbove: 2 }))).toBe(true);
  });

  it('patches a row on screen in place and fetches nothing when nothing moves', () => {
    const rows = [host('a'), host('b')];
    const changed = host('b', { agentVersion: '0.2.0' });
    const r = applyHostsEvent(rows, q(), { changed: [changed], removed: [] }, new Map());
    expect(r.rows).toEqual([rows[0], changed]);
    expect(r.rows[0]).toBe(rows[0]);
    expect(r.refetch).toBe(false);
  });

  it('fetches again when a row leaves the filter, an off-screen host enters it, or a row is removed', () => {
    const known = new Map<string, Host>();
    const offline = q({ states: ['offline'] });
    const rows = [host('a', { connected: false })];
    expect(applyHostsEvent(rows, offline, { changed: [host('a')], removed: [] }, known).refetch).toBe(true);
    known.set('id-z', host('z'));
    expect(applyHostsEvent(rows, offline, { changed: [host('z', { connected: false })], removed: [] }, known).refetch).toBe(true);
    expect(applyHostsEvent(rows, offline, { changed: [], removed: ['id-a'] }, known).refetch).toBe(true);
    expect(applyHostsEvent(rows, offline, { changed: [], removed: [], resync: true }, known).refetch).toBe(true);
  });

  it('fetches again when a host never seen leaves a filtered view: it may have been counted in the total', () => {
    const known = new Map<string, Host>();
    const offline = q({ states: ['offline'] });
    const rows = [host('a', { connected: false })];
    // y was offline on a later page, never shown here; it connects: the total drops by one.
    expect(applyHostsEvent(rows, offline, { changed: [host('y')], removed: [] }, known).refetch).toBe(true);
    // Now known to be out of the filter: its next change fetches nothing.
    expect(applyHostsEvent(rows, offline, { changed: [host('y', { agentVersion: '0.3.0' })], removed: [] }, known).refetch).toBe(false);
    expect(applyHostsEvent(rows, offline, { changed: [], removed: ['id-never-seen'] }, known).refetch).toBe(true);
  });

  it('ignores off-screen hosts that stay out of the filter or keep their place in the order', () => {
    const known = new Map<string, Host>([['id-z', host('z', { connected: true })]]);
    const rows = [host('a', { connected: false })];
    // z stays connected: not on an offline page
    expect(applyHostsEvent(rows, q({ states: ['offline'] }), { changed: [host('z', { agentVersion: '0.3.0' })], removed: [] }, known).refetch).toBe(false);
    // unfiltered, sorted by name: z changed but its name did not
    expect(applyHostsEvent([host('a'), host('b')], q(), { changed: [host('z', { drift: ['control/locals'] })], removed: [] }, known).refetch).toBe(false);
  });

  it('under a sort by a moving column, fetches only when the host lands among or crosses the rows on screen', () => {
    const msgs = (n: number) => ({ messages: n }) as Host['queue'];
    const rows = [host('a', { queue: msgs(10) }), host('b', { queue: msgs(20) })];
    const byQueue = q({ sort: 'queue', order: 'asc' });
    const known = new Map<string, Host>([['id-z', host('z', { queue: msgs(100) })]]);
    expect(applyHostsEvent(rows, byQueue, { changed: [host('z', { queue: msgs(200) })], removed: [] }, known).refetch).toBe(false);
    expect(applyHostsEvent(rows, byQueue, { changed: [host('z', { queue: msgs(15) })], removed: [] }, known).refetch).toBe(true);
    // a row on screen whose queue changed may reorder the page
    expect(applyHostsEvent(rows, byQueue, { changed: [host('a', { queue: msgs(11) })], removed: [] }, known).refetch).toBe(true);
  });
});
