import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, UiEvent, type FleetSummary, type GroupSummary, type Host, type HostsDelta } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Pager } from '../components/Pager';
import { age } from '../format';
import { applyHostsEvent } from '../fleet-live';
import { apiHostsQuery, DEFAULT_QUEUE_ABOVE, FLEET_STATES, fleetSearch, isFiltered, PAGE_SIZES, parseFleetQuery, STATE_INFO, type FleetQuery, type FleetState } from '../fleet-query';
import { POLL_MS, useCoalesced, useDebounced, usePolling, useUiSocket } from '../hooks';
import { setSearch, useLocationSearch } from '../router';
import { useCan } from '../session';
import { AddHost } from './AddHost';
import { DestinationsCard } from './FleetQueue';
import { FleetActions } from './FleetActions';
import { HostsTable } from './FleetTable';
import { FleetQueueChart } from './QueueCharts';
import { QueueIncident } from './QueueIncident';
import { MailboxesCard } from './FleetMailboxes';

/** A search waits this long after the last keystroke before it asks the controller. */
const SEARCH_DEBOUNCE_MS = 300;
/** Live changes that move rows in or out of the page fetch it again at most this often. */
const REFETCH_DEBOUNCE_MS = 1000;


interface PageData {
  /** the query this page answers (as the API's query string) */
  key: string;
  rows: Host[];
  total: number;
}

/**
 * The fleet (issue 13): the totals of every host, then one page of the hosts that match the
 * search, group and states, sorted by any column; everything in the address bar. Rows change in
 * place from the `/ui` socket; the page is fetched again only when a change can move rows.
 */
export function Fleet() {
  const search = useLocationSearch();
  const query = useMemo(() => parseFleetQuery(search), [search]);
  const apiQuery = apiHostsQuery(query);
  const [page, setPage] = useState<PageData | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [summary, setSummary] = useState<FleetSummary | undefined>(undefined);
  const groups = usePolling(api.listGroups, [], POLL_MS * 10);
  const isAdmin = useCan('admin');

  // What the handlers need, without re-subscribing the socket on every render.
  const queryRef = useRef(query);
  queryRef.current = query;
  const pageRef = useRef(page);
  pageRef.current = page;
  /** the last view of every host seen, to tell when an off-screen host enters or leaves the filter */
  const known = useRef(new Map<string, Host>());

  const load = useCoalesced(async () => {
    const q = apiHostsQuery(queryRef.current);
    try {
      const { items, total } = await api.listHostsPage(q);
      for (const h of items) known.current.set(h.id, h);
      // An answer for a filter the operator has already left is dropped.
      if (q === apiHostsQuery(queryRef.current)) {
        setPage({ key: q, rows: items, total });
        setError(undefined);
      }
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError({ statusCode: 0, error: 'Error', message: String(e) }));
    }
  });
  const loadSummary = useCoalesced(async () => {
    try {
      setSummary(await api.fleetSummary());
    } catch {
      // The totals stay as they were; the page's own error box speaks for the controller.
    }
  });

  // A burst of live changes asks for the page once, REFETCH_DEBOUNCE_MS after the first.
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refetchSoon = useCallback(() => {
    if (refetchTimer.current) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = undefined;
      load();
    }, REFETCH_DEBOUNCE_MS);
  }, [load]);
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  useEffect(() => {
    load();
  }, [apiQuery, load]);

  const resync = useCallback(() => {
    load();
    loadSummary();
  }, [load, loadSummary]);

  const socket = useUiSocket(
    {
      [UiEvent.hosts]: (event: HostsDelta) => {
        const current = pageRef.current;
        if (!current) return;
        const { rows, refetch } = applyHostsEvent(current.rows, queryRef.current, event, known.current);
        if (rows !== current.rows) setPage({ ...current, rows });
        if (refetch) refetchSoon();
      },
      [UiEvent.fleetSummary]: (next: FleetSummary) => {
        // A host created or deleted elsewhere changes the count: the page may gain or lose it.
        setSummary((prev) => {
          if (prev && prev.hosts !== next.hosts) refetchSoon();
          return next;
        });
      },
    },
    resync,
  );

  const change = (patch: Partial<FleetQuery>, replace = false) => {
    // Any change of the filter or the order starts again at page 1.
    const next = { ...query, ...('page' in patch ? {} : { page: 1 }), ...patch };
    setSearch(fleetSearch(next), replace);
  };

  const showing = page && page.key === apiQuery ? page : undefined;
  // The summary's count, or before it answers, whether the page found any host at all.
  const hostCount = summary?.hosts ?? (page && !isFiltered(query) ? page.total : undefined);
  const any = hostCount === undefined ? page !== undefined : hostCount > 0;
  const groupNames = (groups.data ?? []).map((g) => g.name);

  return (
    <>
      <section className="page-head">
        <h1>Fleet</h1>
        <span className={`small ${socket.live ? 'good' : 'muted'}`} data-testid="fleet-live" data-live={String(socket.live)} title={socket.problem ?? (socket.live ? 'rows change as the hosts report' : 'reconnecting; the page is fetched every few seconds meanwhile')}>
          {socket.live ? '● live' : '○ not live'}
        </span>
      </section>
      <FleetTotals summary={summary} />
      <ErrorBox error={error ?? groups.error} />
      {hostCount === 0 && <p className="muted">No hosts yet. {isAdmin ? 'Add one below, then start its agent.' : 'An admin adds them.'}</p>}
      {any && (
        <section className="card fleet-list">
          <FleetFilters query={query} groups={groups.data} onChange={change} />
          <div className="list-head">
            <span className="muted" data-testid="fleet-count" data-total={showing?.total ?? ''} data-filtered={String(isFiltered(query))}>
              {showing ? countLine(showing, query) : 'Loading…'}
            </span>
            <label className="inline-label">
              Per page
              <select value={query.pageSize} onChange={(e) => change({ pageSize: Number(e.target.value) })} data-testid="fleet-page-size">
                {PAGE_SIZES.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {showing && showing.rows.length === 0 && (
            <p className="muted" data-testid="fleet-empty">
              No host matches.{' '}
              <button type="button" className="small-button" onClick={() => setSearch('')}>
                Clear the filter
              </button>
            </p>
          )}
          {showing && showing.rows.length > 0 && <HostsTable rows={showing.rows} sort={query.sort} order={query.order} onSort={(sort, order) => change({ sort, order })} />}
          {showing && <Pager page={query.page} perPage={query.pageSize} total={showing.total} onPage={(p) => change({ page: p })} />}
        </section>
      )}
      {any && <FleetQueueChart />}
      {any && (
        <div className="grid">
          <DestinationsCard />
          <QueueIncident hostCount={hostCount ?? 0} groups={groupNames} />
          <MailboxesCard />
        </div>
      )}
      {any && <FleetActions />}
      {isAdmin && <AddHost onCreated={resync} />}
    </>
  );
}

function countLine(page: PageData, q: FleetQuery): string {
  if (page.total === 0) return isFiltered(q) ? 'no host matches' : 'no hosts';
  const from = (q.page - 1) * q.pageSize + 1;
  const to = from + page.rows.length - 1;
  return `${from}–${to} of ${page.total} ${isFiltered(q) ? 'matching' : 'hosts'}`;
}

/** The whole fleet's figures, whatever the filter (`GET /api/fleet/summary`, then the socket's). */
function FleetTotals({ summary: s }: { summary: FleetSummary | undefined }) {
  if (!s) return null;
  const tiles: { id: string; label: string; value: number | string; raw: number | null; tone?: string; title?: string }[] = [
    { id: 'hosts', label: 'hosts', value: s.hosts, raw: s.hosts },
    { id: 'connected', label: 'connected', value: s.connected, raw: s.connected, title: `${s.offline} offline` },
    { id: 'failed', label: 'failed', value: s.failed, raw: s.failed, tone: s.failed ? 'bad' : undefined, title: `${s.pending} pending` },
    { id: 'drifted', label: 'drifted', value: s.drifted, raw: s.drifted, tone: s.drifted ? 'warn' : undefined, title: `${s.held} held over drift` },
    { id: 'queued', label: 'messages queued', value: s.messagesQueued, raw: s.messagesQueued },
    { id: 'oldest', label: 'oldest message', value: age(s.oldestMessageAgeSec), raw: s.oldestMessageAgeSec, tone: s.oldestMessageAgeSec !== null && s.oldestMessageAgeSec > 6 * 3600 ? 'warn' : undefined },
  ];
  return (
    <div className="totals" data-testid="fleet-summary">
      {tiles.map((t) => (
        <div key={t.id} className="total" data-testid={`total-${t.id}`} data-value={t.raw ?? ''} title={t.title}>
          <strong className={t.tone ?? ''}>{t.value}</strong>
          <span className="muted small">{t.label}</span>
        </div>
      ))}
      <div className="total" title="pending · offline · qmail down">
        <span className="muted small">
          {s.pending} pending · {s.offline} offline · {s.qmailDown} qmail down
        </span>
      </div>
    </div>
  );
}

function FleetFilters({ query, groups, onChange }: { query: FleetQuery; groups: GroupSummary[] | undefined; onChange: (patch: Partial<FleetQuery>, replace?: boolean) => void }) {
  // The box shows every keystroke; the address bar and the controller get the text once typing stops.
  const [text, setText] = useState(query.q);
  const settled = useDebounced(text, SEARCH_DEBOUNCE_MS);
  const typed = useRef(false);
  useEffect(() => {
    if (!typed.current) setText(query.q);
  }, [query.q]);
  useEffect(() => {
    if (!typed.current) return;
    typed.current = false;
    if (settled.trim() !== query.q) onChange({ q: settled.trim() }, true);
  }, [settled]);

  // Always in the chips' order, so one view has one address.
  const toggle = (s: FleetState) => onChange({ states: FLEET_STATES.filter((x) => (x === s ? !query.states.includes(s) : query.states.includes(x))) });
  const known = new Set((groups ?? []).map((g) => g.name));

  return (
    <div className="fleet-filters">
      <div className="filter-row">
        <label>
          Search by name
          <input
            type="search"
            value={text}
            placeholder="mx1, .eu.example.net…"
            onChange={(e) => {
              typed.current = true;
              setText(e.target.value);
            }}
            data-testid="fleet-search"
          />
        </label>
        <label className="narrow">
          Group
          <select value={query.group} onChange={(e) => onChange({ group: e.target.value })} data-testid="fleet-group">
            <option value="">all groups</option>
            {(groups ?? []).map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} ({g.hosts})
              </option>
            ))}
            {query.group && !known.has(query.group) && <option value={query.group}>{query.group}</option>}
          </select>
        </label>
      </div>
      <div className="chips" role="group" aria-label="states">
        {FLEET_STATES.map((s) => (
          <button
            key={s}
            type="button"
            className={`chip ${query.states.includes(s) ? 'chip-on' : ''}`}
            aria-pressed={query.states.includes(s)}
            title={STATE_INFO[s]}
            onClick={() => toggle(s)}
            data-testid={`fleet-state-${s}`}
          >
            {s}
          </button>
        ))}
        {query.states.includes('queue') && (
          <label className="inline-label">
            queue: more than
            <input
              type="number"
              min={0}
              className="narrow-number"
              value={query.queueAbove ?? DEFAULT_QUEUE_ABOVE}
              onChange={(e) => onChange({ queueAbove: e.target.value === '' ? null : Math.max(0, Math.floor(Number(e.target.value))) }, true)}
              data-testid="fleet-queue-above"
            />
            messages
          </label>
        )}
        {isFiltered(query) && (
          <button
            type="button"
            className="small-button"
            onClick={() => {
              typed.current = false;
              setText('');
              onChange({ q: '', group: '', states: [], queueAbove: null });
            }}
            data-testid="fleet-clear"
          >
            Clear
          </button>
        )}
      </div>
    </div>
  );
}
