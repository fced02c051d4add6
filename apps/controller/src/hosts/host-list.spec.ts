import { factsOfView, filterAndSort, pageOf, summarize, type ListedHost } from './host-list';

const host = (name: string, over: Partial<ListedHost> = {}): ListedHost => ({
  id: name,
  name,
  groups: [],
  connected: false,
  desiredRevision: 1,
  appliedRevision: 1,
  failedRevision: null,
  drift: 0,
  held: false,
  lastSeen: null,
  qmail: null,
  queue: null,
  ...over,
});

const fleet = [
  host('c', { connected: true, queue: { messages: 5, oldestAgeSec: 60 }, qmail: { installed: true, running: true } }),
  host('a', { desiredRevision: 2, held: true, drift: 1, lastSeen: new Date(2000) }),
  host('b', { desiredRevision: 2, failedRevision: 2, queue: { messages: 2000, oldestAgeSec: 7200 }, qmail: { installed: true, running: false } }),
  host('d', { connected: true, lastSeen: new Date(1000) }),
];
const names = (hs: ListedHost[]) => hs.map((h) => h.name);
const q = { queueAbove: 1000, sort: 'name' as const, order: 'asc' as const };

describe('host list: filter, sort, page', () => {
  it('sorts by name without a state filter, and pages', () => {
    const all = filterAndSort(fleet, q);
    expect(names(all)).toEqual(['a', 'b', 'c', 'd']);
    expect(names(pageOf(all, 2, 3))).toEqual(['d']);
    expect(pageOf(all, 3, 3)).toEqual([]);
  });

  it('filters by any of the states', () => {
    expect(names(filterAndSort(fleet, { ...q, state: ['held'] }))).toEqual(['a']);
    expect(names(filterAndSort(fleet, { ...q, state: ['failed', 'queue'] }))).toEqual(['b']);
    expect(names(filterAndSort(fleet, { ...q, state: ['pending', 'connected'] }))).toEqual(['a', 'c', 'd']);
    expect(names(filterAndSort(fleet, { ...q, state: ['queue'], queueAbove: 4 }))).toEqual(['b', 'c']);
    expect(names(filterAndSort(fleet, { ...q, state: ['qmail-down'] }))).toEqual(['b']);
  });

  it('sorts by a column either way, ties by name, missing values first ascending', () => {
    expect(names(filterAndSort(fleet, { ...q, sort: 'queue', order: 'desc' }))).toEqual(['b', 'c', 'a', 'd']);
    expect(names(filterAndSort(fleet, { ...q, sort: 'oldest' }))).toEqual(['a', 'd', 'c', 'b']);
    expect(names(filterAndSort(fleet, { ...q, sort: 'connected', order: 'desc' }))).toEqual(['c', 'd', 'a', 'b']);
    expect(names(filterAndSort(fleet, { ...q, sort: 'lastSeen' }))).toEqual(['b', 'c', 'd', 'a']);
    expect(names(filterAndSort(fleet, { ...q, sort: 'qmail' }))).toEqual(['a', 'd', 'b', 'c']);
    expect(names(filterAndSort(fleet, { ...q, sort: 'drift', order: 'desc' }))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives the same order from hosts already in name order, without sorting by name (FleetFacts.byName)', () => {
    const byName = filterAndSort(fleet, q);
    for (const sort of ['name', 'queue', 'oldest', 'connected', 'lastSeen', 'qmail', 'drift'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        expect([sort, order, names(filterAndSort(byName, { ...q, sort, order }, true))]).toEqual([sort, order, names(filterAndSort(fleet, { ...q, sort, order }))]);
      }
    }
    expect(names(filterAndSort(byName, { ...q, state: ['pending', 'connected'], order: 'desc' }, true))).toEqual(['d', 'c', 'a']);
    expect(names(byName)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('does not reorder the hosts it was given', () => {
    filterAndSort(fleet, { ...q, sort: 'queue' });
    expect(names(fleet)).toEqual(['c', 'a', 'b', 'd']);
  });
});

describe('fleet summary', () => {
  it('counts with the same predicates as the filters', () => {
    expect(summarize(fleet)).toEqual({ hosts: 4, connected: 2, offline: 2, failed: 1, pending: 1, drifted: 1, held: 1, qmailDown: 1, messagesQueued: 2005, oldestMessageAgeSec: 7200 });
    expect(summarize([])).toEqual({ hosts: 0, connected: 0, offline: 0, failed: 0, pending: 0, drifted: 0, held: 0, qmailDown: 0, messagesQueued: 0, oldestMessageAgeSec: null });
  });
});

describe('factsOfView', () => {
  it('reads a view as sort facts: drift as a count, lastSeen as a date', () => {
    const f = factsOfView({ ...host('v'), lastSeen: '2026-11-27T10:00:00.000Z', drift: ['control/locals'], agentVersion: null, lastApply: null, driftPolicy: 'report', queue: null } as never);
    expect([f.drift, f.lastSeen?.toISOString()]).toEqual([1, '2026-11-27T10:00:00.000Z']);
  });
});
