import { api, type Host, type QueuePoint } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { age, bytes, relative, retryAt, when } from '../format';
import { usePolling } from '../hooks';

const STATS_POLL_MS = 10_000;
const SHOWN_DOMAINS = 10;
const TREND_SEC = 3600;

/** "42 · oldest 3h", with the not-yet-preprocessed count when qmail-send lags behind (QMAIL.md §4). */
export function QueueCell({ queue }: { queue: Host['queue'] }) {
  if (!queue) return <td className="num muted" data-testid="fleet-queue-cell">–</td>;
  const old = queue.oldestAgeSec !== null && queue.oldestAgeSec > 6 * 3600;
  return (
    <td
      className="num"
      data-testid="fleet-queue-cell"
      data-messages={queue.messages}
      title={`${queue.local} local · ${queue.remote} remote · ${bytes(queue.bytes)} · reported ${when(queue.at)}`}
    >
      <strong>{queue.messages}</strong>
      {queue.unprocessed > 0 && <span className="warn small"> ({queue.unprocessed} unprocessed)</span>}
      {queue.messages > 0 && queue.oldestAgeSec !== null && <span className={`small ${old ? 'warn' : 'muted'}`}> · oldest {age(queue.oldestAgeSec)}</span>}
    </td>
  );
}

/** Where the waiting remote mail is going: one deferring destination shows as one row across many hosts. */
export function DestinationsCard() {
  const domains = usePolling(api.domainStats, [], STATS_POLL_MS);
  // The fleet total only (top 0): every host's line of the hour was most of the answer at 10,000 hosts.
  const trend = usePolling(() => api.queueSeries(TREND_SEC, 60, { top: 0 }), [], STATS_POLL_MS);
  const top = domains.data?.slice(0, SHOWN_DOMAINS);
  return (
    <section className="card" data-testid="domains-card">
      <div className="section-head">
        <h2>Destinations</h2>
        {trend.data && <QueueTrend points={trend.data.fleet} />}
      </div>
      <ErrorBox error={domains.error} />
      {top && top.length === 0 && <p className="muted">No remote mail waiting in any queue.</p>}
      {top && top.length > 0 && (
        <table className="compact">
          <thead>
            <tr>
              <th>Domain</th>
              <th className="num">Messages</th>
              <th className="num">Hosts</th>
              <th>Next retry</th>
              <th>Oldest</th>
            </tr>
          </thead>
          <tbody>
            {top.map((d) => (
              <tr key={d.domain} data-testid="domain-row" data-domain={d.domain}>
                <td>
                  <code>{d.domain}</code>
                </td>
                <td className="num" title={`${d.recipients} recipients`}>
                  {d.messages}
                </td>
                <td className="num" title={d.hosts.join(', ')}>
                  {d.hosts.length}
                </td>
                <td title={when(d.nextRetryAt)}>{retryAt(d.nextRetryAt)}</td>
                <td title={when(d.oldestQueuedAt)}>{d.oldestQueuedAt ? relative(d.oldestQueuedAt) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {domains.data && domains.data.length > SHOWN_DOMAINS && <p className="muted small">and {domains.data.length - SHOWN_DOMAINS} more domains</p>}
    </section>
  );
}

/** The fleet's queued messages over the last hour, one bar a minute. */
function QueueTrend({ points }: { points: QueuePoint[] }) {
  if (points.length === 0) return null;
  const max = Math.max(1, ...points.map((p) => p.messages));
  const last = points[points.length - 1];
  return (
    <span className="trend" title={`fleet queue over the last hour; now ${last.messages} messages, at most ${max}`} data-testid="queue-trend">
      <span className="trend-bars">
        {points.map((p) => (
          <span key={p.at} style={{ height: `${Math.max(2, (p.messages / max) * 100)}%` }} />
        ))}
      </span>
      <span className="muted small">{last.messages} queued</span>
    </span>
  );
}
