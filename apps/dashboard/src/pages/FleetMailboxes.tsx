import type { ReactNode } from 'react';
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

type FleetMailbox = MailboxFleetStats['largest'][number];
type Column = { head: string; num?: boolean; cell: (m: FleetMailbox) => ReactNode; className?: (m: FleetMailbox) => string };

/** Mailboxes of several hosts, each leading to its host's mailboxes: the user and host, then `columns`. */
function FleetMailboxTable(props: { title: string; testId: string; rowTestId: string; rows: FleetMailbox[]; columns: Column[] }) {
  return (
    <table className="compact" data-testid={props.testId}>
      <thead>
        <tr>
          <th>{props.title}</th>
          <th>Host</th>
          {props.columns.map((c) => (
            <th key={c.head} className={c.num ? 'num' : undefined}>
              {c.head}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.slice(0, SHOWN).map((m) => (
          <tr key={`${m.hostId} ${m.user}`} data-testid={props.rowTestId} data-user={m.user} data-host-name={m.host}>
            <td>
              <Link to={`/hosts/${m.hostId}/mailboxes`}>{m.user}</Link>
            </td>
            <td>{m.host}</td>
            {props.columns.map((c) => (
              <td key={c.head} className={[c.num ? 'num' : '', c.className?.(m) ?? ''].filter(Boolean).join(' ') || undefined}>
                {c.cell(m)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const LARGEST: Column[] = [
  { head: 'Size', num: true, cell: (m) => bytes(m.bytes) },
  { head: 'Messages', num: true, cell: (m) => m.messages.toLocaleString() },
  { head: 'Unread', num: true, cell: (m) => m.unread.toLocaleString() },
  { head: 'Newest', cell: (m) => <span title={when(m.newestAt)}>{m.newestAt ? ago(m.newestAt) : '–'}</span> },
];

const FULLEST: Column[] = [
  { head: 'Used', num: true, className: (m) => (m.quotaShare !== null && m.quotaShare >= 1 ? 'bad' : 'warn'), cell: (m) => (m.quotaShare === null ? '–' : percent(m.quotaShare)) },
  { head: 'Quota', num: true, cell: (m) => [m.quotaBytes !== null ? bytes(m.quotaBytes) : null, m.quotaMessages !== null ? `${m.quotaMessages} messages` : null].filter(Boolean).join(' · ') },
];

function LargestTable({ stats }: { stats: MailboxFleetStats }) {
  if (!stats.largest.length) return null;
  return <FleetMailboxTable title="Largest" testId="largest-mailboxes" rowTestId="largest-mailbox-row" rows={stats.largest} columns={LARGEST} />;
}

function QuotaTable({ stats }: { stats: MailboxFleetStats }) {
  if (!stats.overQuota.length) return <p className="muted small">No mailbox uses {percent(stats.quotaOver)} of its quota.</p>;
  return <FleetMailboxTable title="Near quota" testId="fullest-quotas" rowTestId="quota-row" rows={stats.overQuota} columns={FULLEST} />;
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
