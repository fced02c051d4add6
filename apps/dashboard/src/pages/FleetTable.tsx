import { Fragment, memo, useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api, type Host, type QueueSparklines } from '../api';
import { Link } from '../components/Link';
import { Sparkline } from '../components/Sparkline';
import { usePolling } from '../hooks';
import { ConnectedDot, QmailState, revisionState } from '../components/status';
import { ago, when } from '../format';
import type { FleetSort, Order } from '../fleet-query';
import { QueueCell } from './FleetQueue';

/** A row's height before it is measured; a failed host's error line makes its own taller. */
const ROW_ESTIMATE_PX = 38;
/** Rows drawn beyond the visible ones, so a quick scroll does not show blank space. */
const OVERSCAN = 12;
/** The last-hour lines are fetched with the page's ids, then again at most this often (never per live change). */
const SPARKLINE_REFRESH_MS = 60_000;

const COLUMNS: { sort: FleetSort; label: string; num?: boolean; width: string; also?: { sort: FleetSort; label: string } }[] = [
  { sort: 'name', label: 'Host', width: '20%' },
  { sort: 'groups', label: 'Groups', width: '12%' },
  { sort: 'connected', label: 'Agent', width: '12%' },
  { sort: 'qmail', label: 'qmail', width: '8%' },
  { sort: 'desiredRevision', label: 'Desired', num: true, width: '6%' },
  { sort: 'appliedRevision', label: 'Applied', num: true, width: '9%' },
  { sort: 'drift', label: 'Drift', num: true, width: '5%' },
  { sort: 'queue', label: 'Queue', num: true, width: '12%', also: { sort: 'oldest', label: 'oldest' } },
  { sort: 'lastSeen', label: 'Last seen', width: '8%' },
];
/** The queue's last hour, after the Queue column; not sortable (the controller sorts by the latest figures). */
const SPARK_WIDTH = '8%';
const SPARK_AFTER: FleetSort = 'queue';
const COLUMN_COUNT = COLUMNS.length + 1;

/**
 * The page's last-hour queue lines, one call for all its rows. Keyed by the set of ids, so a
 * live change of a row (a new object, same host) asks nothing; a new page or filter asks at once.
 */
function useSparklines(rows: Host[]): QueueSparklines | undefined {
  const key = useMemo(() => rows.map((r) => r.id).sort().join(','), [rows]);
  const { data } = usePolling(() => (key ? api.queueSparklines(key.split(',')) : Promise.resolve(undefined)), [key], SPARKLINE_REFRESH_MS);
  return data;
}

/**
 * One page of hosts, drawn virtually: only the rows in view (and a few around) are in the DOM,
 * so a page of 1,000 scrolls as smoothly as one of 10. Each host is its own <tbody> (its row and,
 * when it failed, the error line under it), measured once drawn.
 */
export function HostsTable({ rows, sort, order, onSort }: { rows: Host[]; sort: FleetSort; order: Order; onSort: (sort: FleetSort, order: Order) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const lines = useSparklines(rows);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE_PX,
    overscan: OVERSCAN,
    getItemKey: (i) => rows[i].id,
  });
  const items = virtual.getVirtualItems();
  const top = items.length ? items[0].start : 0;
  const bottom = items.length ? virtual.getTotalSize() - items[items.length - 1].end : 0;

  return (
    <div className="hosts-scroll" ref={scroller} data-testid="hosts-scroll">
      <table className="hosts" data-testid="hosts-table" data-rows={rows.length}>
        <colgroup>
          {COLUMNS.map((c) => (
            <Fragment key={c.sort}>
              <col style={{ width: c.width }} />
              {c.sort === SPARK_AFTER && <col style={{ width: SPARK_WIDTH }} />}
            </Fragment>
          ))}
        </colgroup>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <Fragment key={c.sort}>
                <th className={c.num ? 'num' : ''} aria-sort={ariaSort(c.sort === sort || c.also?.sort === sort, order)}>
                  <SortButton column={c.sort} label={c.label} sort={sort} order={order} onSort={onSort} />
                  {c.also && (
                    <>
                      {' · '}
                      <SortButton column={c.also.sort} label={c.also.label} sort={sort} order={order} onSort={onSort} />
                    </>
                  )}
                </th>
                {c.sort === SPARK_AFTER && <th title="queued messages over the last hour, one point a minute">Last hour</th>}
              </Fragment>
            ))}
          </tr>
        </thead>
        {top > 0 && (
          <tbody aria-hidden="true">
            <tr style={{ height: top }} />
          </tbody>
        )}
        {items.map((item) => (
          <tbody key={item.key} data-index={item.index} ref={virtual.measureElement}>
            <HostRow host={rows[item.index]} line={lines?.hosts[rows[item.index].id] ?? (lines ? null : undefined)} stepSec={lines?.step ?? 60} />
          </tbody>
        ))}
        {bottom > 0 && (
          <tbody aria-hidden="true">
            <tr style={{ height: bottom }} />
          </tbody>
        )}
      </table>
    </div>
  );
}

function ariaSort(active: boolean, order: Order): 'ascending' | 'descending' | 'none' {
  if (!active) return 'none';
  return order === 'asc' ? 'ascending' : 'descending';
}

/** A column header: a second click on the sorted column turns the order round; another column starts ascending. */
function SortButton({ column, label, sort, order, onSort }: { column: FleetSort; label: string; sort: FleetSort; order: Order; onSort: (sort: FleetSort, order: Order) => void }) {
  const active = column === sort;
  const next: Order = active && order === 'asc' ? 'desc' : 'asc';
  return (
    <button type="button" className={`sort ${active ? 'sort-on' : ''}`} onClick={() => onSort(column, next)} data-testid={`sort-${column}`} data-order={active ? order : ''}>
      {label}
      <span className="sort-mark" aria-hidden="true">
        {active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
      </span>
    </button>
  );
}

/** Drawn again only when its host changed (a live update replaces that one object). */
const HostRow = memo(function HostRow({ host: h, line, stepSec }: { host: Host; line: (number | null)[] | null | undefined; stepSec: number }) {
  const state = revisionState(h);
  return (
    <>
      <tr data-testid="host-row" data-host-name={h.name} data-host-id={h.id} data-revision-state={state} className={`state-${state}`}>
        <td>
          <Link to={`/hosts/${h.id}`} className="host-name">
            {h.name}
          </Link>
        </td>
        <td>{h.groups.length ? h.groups.map((g) => <span key={g} className="tag">{g}</span>) : <span className="muted">–</span>}</td>
        <td data-testid="host-connected" data-connected={String(h.connected)}>
          <ConnectedDot connected={h.connected} /> {h.connected ? 'connected' : 'offline'}
          {h.agentVersion && <span className="muted small"> v{h.agentVersion}</span>}
        </td>
        <td>
          <QmailState qmail={h.qmail} />
        </td>
        <td className="num" data-testid="host-desired">
          {h.desiredRevision}
        </td>
        <td
          className={`num rev rev-${state}`}
          data-testid="host-applied"
          data-revision-state={state}
          data-note={state === 'in-sync' ? undefined : state}
          title={stateTitle(h)}
        >
          {h.appliedRevision}
        </td>
        <td className={`num ${h.drift.length ? 'warn' : ''}`} data-testid="host-drift" title={h.drift.join('\n')}>
          {h.drift.length}
        </td>
        <QueueCell queue={h.queue} />
        <td data-testid="host-sparkline-cell">
          {line === undefined ? null : <Sparkline values={line ?? undefined} stepSec={stepSec} label={`${h.name} queue, last hour`} />}
        </td>
        <td title={when(h.lastSeen)}>{h.connected ? 'now' : ago(h.lastSeen)}</td>
      </tr>
      {state === 'failed' && h.lastApply?.error && (
        <tr className="row-error" data-testid="host-row-error" data-host-name={h.name}>
          <td colSpan={COLUMN_COUNT}>
            revision {h.failedRevision} failed at <code>{h.lastApply.error.step}</code>
            {h.lastApply.error.file && (
              <>
                {' '}
                on <code>{h.lastApply.error.file}</code>
              </>
            )}
            : {h.lastApply.error.message}
          </td>
        </tr>
      )}
    </>
  );
});

function stateTitle(h: Host): string {
  const s = revisionState(h);
  if (s === 'failed') return `revision ${h.failedRevision} failed on the host`;
  if (s === 'pending') return `revision ${h.desiredRevision} not applied yet`;
  return 'in sync';
}
