import { api, type MailboxFleetStats } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { ago, bytes, when } from '../format';
import { usePolling } from '../hooks';

const STATS_POLL_MS = 30_000;
const DAY_SEC = 86_400;
/** One point an hour over the day: agents report every few minutes. */
const STEP_SEC = 3_600;
const SHOWN = 10;

const percent = (share: number) => `${Math.round(share * 100)}%`;

/** "+1.2 GB" over the day: how much the fleet's mailboxes grew since the first point. */
export function growth(points: { bytes: number }[]): string | null {
  if (points.length < 2) return null;
  const d = points[points.length - 1].bytes - points[0].bytes;
  return `${d >= 0 ? '+' : '−'}${bytes(Math.abs(d))}`;
}

/** Mailboxes across the fleet (issue 14): totals, growth, the largest and the fullest, each leading to its host's mailboxes. */
export function MailboxesCard() {
  const stats = usePolling(() => api.mailboxFleetStats(DAY_SEC, STEP_SEC), [], STATS_POLL_MS);
  const s = stats.data;
  const total = s?.hosts.reduce((t, h) => ({ mailboxes: t.mailboxes + h.mailboxes, messages: t.messages + h.messages, bytes: t.bytes + h.bytes, unread: t.unread + h.unread }), { mailboxes: 0, messages: 0, bytes: 0, unread: 0 });
  const grew = s ? growth(s.fleet) : null;
  return (
    <section className="card" data-testid="mailboxes-card">
      <div className="section-head">
        <h2>Mailboxes</h2>
        {s && <MailboxTrend points={s.fleet} />}
      </div>
      <ErrorBox error={stats.error} />
      {s && s.hosts.length === 0 && <p className="muted">No agent has reported mailbox statistics yet.</p>}
      {s && total && s.hosts.length > 0 && (
        <>
          <p className="summary" data-testid="mailboxes-total" data-bytes={total.bytes} data-messages={total.messages}>
            {total.mailboxes.toLocaleString()} mailboxes · {total.messages.toLocaleString()} messages · {bytes(total.bytes)} · {total.unread.toLocaleString()} unread
            {grew && <span className="muted"> · {grew} in 24 h</span>}
          </p>
          <LargestTable stats={s} />
          <QuotaTable stats={s} />
        </>
      )}
    </section>
  );
}

function LargestTable({ stats }: { stats: MailboxFleetStats }) {
  if (!stats.largest.length) return null;
  return (
    <table className="compact" data-testid="largest-mailboxes">
      <thead>
        <tr>
          <th>Largest</th>
          <th>Host</th>
          <th className="num">Size</th>
          <th className="num">Messages</th>
          <th className="num">Unread</th>
          <th>Newest</th>
        </tr>
      </thead>
      <tbody>
        {stats.largest.slice(0, SHOWN).map((m) => (
          <tr key={`${m.hostId} ${m.user}`} data-testid="largest-mailbox-row" data-user={m.user} data-host-name={m.host}>
            <td>
              <Link to={`/hosts/${m.hostId}/mailboxes`}>{m.user}</Link>
            </td>
            <td>{m.host}</td>
            <td className="num">{bytes(m.bytes)}</td>
            <td className="num">{m.messages.toLocaleString()}</td>
            <td className="num">{m.unread.toLocaleString()}</td>
            <td title={when(m.newestAt)}>{m.newestAt ? ago(m.newestAt) : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function QuotaTable({ stats }: { stats: MailboxFleetStats }) {
  if (!stats.overQuota.length) return <p className="muted small">No mailbox uses {percent(stats.quotaOver)} of its quota.</p>;
  return (
    <table className="compact" data-testid="fullest-quotas">
      <thead>
        <tr>
          <th>Near quota</th>
          <th>Host</th>
          <th className="num">Used</th>
          <th className="num">Quota</th>
        </tr>
      </thead>
      <tbody>
        {stats.overQuota.slice(0, SHOWN).map((m) => (
          <tr key={`${m.hostId} ${m.user}`} data-testid="quota-row" data-user={m.user} data-host-name={m.host}>
            <td>
              <Link to={`/hosts/${m.hostId}/mailboxes`}>{m.user}</Link>
            </td>
            <td>{m.host}</td>
            <td className={`num ${m.quotaShare !== null && m.quotaShare >= 1 ? 'bad' : 'warn'}`}>{m.quotaShare === null ? '–' : percent(m.quotaShare)}</td>
            <td className="num">{[m.quotaBytes !== null ? bytes(m.quotaBytes) : null, m.quotaMessages !== null ? `${m.quotaMessages} messages` : null].filter(Boolean).join(' · ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Bytes in the mailboxes over time, a bar a point (the queue card's trend, for mailboxes). */
export function MailboxTrend({ points, label = 'fleet mailboxes' }: { points: { at: string; bytes: number }[]; label?: string }) {
  if (points.length === 0) return null;
  const max = Math.max(1, ...points.map((p) => p.bytes));
  const last = points[points.length - 1];
  return (
    <span className="trend" title={`${label}: now ${bytes(last.bytes)}, at most ${bytes(max)}`} data-testid="mailbox-trend">
      <span className="trend-bars">
        {points.map((p) => (
          <span key={p.at} style={{ height: `${Math.max(2, (p.bytes / max) * 100)}%` }} />
        ))}
      </span>
      <span className="muted small">{bytes(last.bytes)}</span>
    </span>
  );
}
