import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { ago, bytes, when } from '../format';
import { usePolling } from '../hooks';
import { growth, MailboxTrend } from './FleetMailboxes';

const POLL_MS = 30_000;
const WEEK_SEC = 7 * 86_400;
const STEP_SEC = 6 * 3_600;

/** The host's mailbox figures as its agent last reported them, and over the last week (issue 14). */
export function HostMailboxStats({ hostId }: { hostId: string }) {
  const stats = usePolling(() => api.mailboxHostStats(hostId, WEEK_SEC, STEP_SEC), [hostId], POLL_MS);
  const s = stats.data;
  const latest = s?.latest;
  const grew = s ? growth(s.series) : null;
  return (
    <section className="card" data-testid="host-mailbox-stats">
      <div className="section-head">
        <h2>Mailbox statistics</h2>
        {s && <MailboxTrend points={s.series} label="this host's mailboxes over the week" />}
      </div>
      <ErrorBox error={stats.error} />
      {s && !latest && <p className="muted">The agent has not reported mailbox statistics yet.</p>}
      {latest && (
        <>
          <p className="summary" data-testid="host-mailbox-totals" data-messages={latest.messages} data-bytes={latest.bytes}>
            {latest.mailboxes.toLocaleString()} mailboxes · {latest.messages.toLocaleString()} messages · {bytes(latest.bytes)} · {latest.unread.toLocaleString()} unread
            {grew && <span className="muted"> · {grew} this week</span>}
            <span className="muted small" title={when(latest.at)}>
              {' '}
              · scanned {ago(latest.at)} in {(latest.scanMs / 1000).toFixed(1)} s{latest.skipped ? `, ${latest.skipped} unreadable` : ''}
            </span>
          </p>
          {s.series.length > 1 && (
            <table className="compact" data-testid="host-mailbox-series">
              <thead>
                <tr>
                  <th>At</th>
                  <th className="num">Messages</th>
                  <th className="num">Size</th>
                  <th className="num">Unread</th>
                </tr>
              </thead>
              <tbody>
                {s.series.slice(-8).map((p) => (
                  <tr key={p.at}>
                    <td>{when(p.at)}</td>
                    <td className="num">{p.messages.toLocaleString()}</td>
                    <td className="num">{bytes(p.bytes)}</td>
                    <td className="num">{p.unread.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
