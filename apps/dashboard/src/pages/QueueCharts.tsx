import { useEffect, useMemo, useState } from 'react';
import { api, type AuditEntry, type QueuePoint, type QueueSeries, type RolloutSummary } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { TimeChart, type Line, type Marker } from '../components/TimeChart';
import { usePolling } from '../hooks';

const CHART_POLL_MS = 5_000;
const TOP_HOSTS = 5;
const HOST_COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'];

/** The spans offered, with a bucket that keeps each chart to a few hundred points (minute samples, hourly past two days). */
const RANGES = {
  '1h': { sec: 3600, step: 60 },
  '24h': { sec: 86400, step: 600 },
  '7d': { sec: 7 * 86400, step: 3600 },
} as const;
type RangeKey = keyof typeof RANGES;

function RangePicker({ value, onChange, testId }: { value: RangeKey; onChange: (r: RangeKey) => void; testId: string }) {
  return (
    <span className="range-picker" data-testid={testId}>
      {(Object.keys(RANGES) as RangeKey[]).map((r) => (
        <button key={r} type="button" className={`small-button ${r === value ? 'active' : ''}`} onClick={() => onChange(r)} data-testid={`${testId}-${r}`}>
          {r}
        </button>
      ))}
    </span>
  );
}

/** Every bucket time of the series, in seconds, ascending; per-host points are aligned on them. */
function bucketTimes(s: QueueSeries): number[] {
  const all = new Set<number>(s.fleet.map((p) => Date.parse(p.at)));
  for (const pts of Object.values(s.hosts)) for (const p of pts) all.add(Date.parse(p.at));
  return [...all].sort((a, b) => a - b).map((ms) => ms / 1000);
}

function aligned(times: number[], points: QueuePoint[], pick: (p: QueuePoint) => number | null): (number | null)[] {
  const byTime = new Map(points.map((p) => [Date.parse(p.at) / 1000, p]));
  return times.map((t) => {
    const p = byTime.get(t);
    return p ? pick(p) : null;
  });
}

/** Total, local, remote and the oldest message's age of one series of points. */
function queueLines(times: number[], points: QueuePoint[]): Line[] {
  return [
    { label: 'messages', values: aligned(times, points, (p) => p.messages), color: '#1d2330' },
    { label: 'local', values: aligned(times, points, (p) => p.local), color: '#059669' },
    { label: 'remote', values: aligned(times, points, (p) => p.remote), color: '#2563eb' },
    { label: 'oldest', values: aligned(times, points, (p) => (p.messages > 0 ? p.oldestAgeSec : null)), color: '#d97706', axis: 'age', dash: true },
  ];
}

function spanEndingNow(sec: number): { from: number; to: number } {
  const to = Math.floor(Date.now() / 1000);
  return { from: to - sec, to };
}

function rolloutMarkers(rollouts: RolloutSummary[] | undefined, fromMs: number): Marker[] {
  return (rollouts ?? []).filter((r) => Date.parse(r.createdAt) >= fromMs).map((r) => ({ at: Date.parse(r.createdAt), label: `rollout ${r.kind}`, kind: 'rollout' }));
}

/** Audit entries as markers: actions (`action.stop`…) stand out from the other changes. */
function auditMarkers(entries: AuditEntry[] | undefined): Marker[] {
  return (entries ?? []).map((e) => ({ at: Date.parse(e.at), label: e.action, kind: e.action.startsWith('action.') ? 'action' : e.action.startsWith('rollout') ? 'rollout' : 'change' }));
}

/** The marker list under a chart: the same changes, readable and with exact times. */
function MarkerList({ markers }: { markers: Marker[] }) {
  if (markers.length === 0) return null;
  const shown = [...markers].sort((a, b) => b.at - a.at).slice(0, 8);
  return (
    <p className="muted small chart-markers" data-testid="chart-markers">
      Marked:{' '}
      {shown.map((m, i) => (
        <span key={`${m.at}-${i}`} className={`marker marker-${m.kind}`} data-testid="chart-marker" data-kind={m.kind}>
          {m.label} {new Date(m.at).toTimeString().slice(0, 5)}
          {i < shown.length - 1 ? ' · ' : ''}
        </span>
      ))}
      {markers.length > shown.length && <span> · and {markers.length - shown.length} more</span>}
    </p>
  );
}

/**
 * The names of the busiest hosts, asked of the controller one host at a time and kept: the
 * fleet page no longer holds every host, and the chart names at most TOP_HOSTS.
 */
function useHostNames(ids: string[]): Map<string, string> {
  const [names, setNames] = useState(() => new Map<string, string>());
  const key = ids.join(',');
  useEffect(() => {
    const missing = ids.filter((id) => !names.has(id));
    if (missing.length === 0) return;
    let stale = false;
    void Promise.all(missing.map((id) => api.getHost(id).then((h) => [id, h.name] as const, () => [id, id.slice(0, 8)] as const))).then((found) => {
      if (!stale) setNames((prev) => new Map([...prev, ...found]));
    });
    return () => {
      stale = true;
    };
  }, [key]);
  return names;
}

/** The fleet's queue over 1 h / 24 h / 7 d with the busiest hosts beside it; rollouts and actions marked. */
export function FleetQueueChart() {
  const [range, setRange] = useState<RangeKey>('1h');
  const { sec, step } = RANGES[range];
  const series = usePolling(() => api.queueSeries(sec, step, { top: TOP_HOSTS }), [range], CHART_POLL_MS);
  const rollouts = usePolling(api.listRollouts, [], CHART_POLL_MS * 6);
  const actions = usePolling(() => api.auditSearch({ action: 'action', since: new Date(Date.now() - sec * 1000).toISOString(), limit: 200 }), [range], CHART_POLL_MS * 6);
  const names = useHostNames(Object.keys(series.data?.hosts ?? {}));

  // The axis ends at the time of the last answer, so the chart is rebuilt once per poll, not per render.
  const span = useMemo(() => spanEndingNow(sec), [series.data, sec]);
  const markers = useMemo(() => [...rolloutMarkers(rollouts.data, span.from * 1000), ...auditMarkers(actions.data)], [rollouts.data, actions.data, span.from]);
  const chart = useMemo(() => {
    if (!series.data) return undefined;
    const times = bucketTimes(series.data);
    const top = Object.entries(series.data.hosts);
    return {
      times,
      total: queueLines(times, series.data.fleet),
      hosts: top.map(([id, pts], i): Line => ({ label: names.get(id) ?? id.slice(0, 8), values: aligned(times, pts, (p) => p.messages), color: HOST_COLORS[i % HOST_COLORS.length] })),
    };
  }, [series.data, names]);

  return (
    <section className="card" data-testid="fleet-queue-chart-card">
      <div className="section-head">
        <h2>Queues</h2>
        <RangePicker value={range} onChange={setRange} testId="fleet-chart-range" />
      </div>
      <ErrorBox error={series.error} />
      {chart && (
        <div className="chart-pair">
          <div>
            <h3>Fleet total</h3>
            <TimeChart testId="fleet-queue-chart" times={chart.times} lines={chart.total} markers={markers} range={span} />
          </div>
          <div>
            <h3>Busiest hosts</h3>
            <TimeChart testId="fleet-top-hosts-chart" times={chart.times} lines={chart.hosts} markers={markers} range={span} />
          </div>
        </div>
      )}
      <MarkerList markers={markers} />
    </section>
  );
}

/** One host's queue over 1 h / 24 h / 7 d; its changes (documents, rollouts, actions) marked. */
export function HostQueueChart({ hostId }: { hostId: string }) {
  const [range, setRange] = useState<RangeKey>('1h');
  const { sec, step } = RANGES[range];
  const series = usePolling(() => api.queueSeries(sec, step, { host: hostId }), [hostId, range], CHART_POLL_MS);
  const changes = usePolling(
    () => api.auditSearch({ target: `host:${hostId}`, since: new Date(Date.now() - sec * 1000).toISOString(), limit: 200 }),
    [hostId, range],
    CHART_POLL_MS * 2,
  );
  // The axis ends at the time of the last answer, so the chart is rebuilt once per poll, not per render.
  const span = useMemo(() => spanEndingNow(sec), [series.data, sec]);
  const markers = useMemo(() => auditMarkers(changes.data), [changes.data]);
  const chart = useMemo(() => {
    if (!series.data) return undefined;
    const points = series.data.hosts[hostId] ?? [];
    const times = points.map((p) => Date.parse(p.at) / 1000);
    return { times, lines: queueLines(times, points) };
  }, [series.data, hostId]);

  return (
    <section className="card" data-testid="host-queue-chart-card">
      <div className="section-head">
        <h2>Queue over time</h2>
        <RangePicker value={range} onChange={setRange} testId="host-chart-range" />
      </div>
      <ErrorBox error={series.error} />
      {chart && <TimeChart testId="host-queue-chart" times={chart.times} lines={chart.lines} markers={markers} range={span} />}
      <MarkerList markers={markers} />
    </section>
  );
}
