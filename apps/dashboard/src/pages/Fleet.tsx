import { api, type Host } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { ConnectedDot, QmailState, revisionState } from '../components/status';
import { ago, when } from '../format';
import { POLL_MS, usePolling } from '../hooks';
import { AddHost } from './AddHost';
import { DestinationsCard, QueueCell } from './FleetQueue';
import { FleetActions } from './FleetActions';
import { FleetQueueChart } from './QueueCharts';
import { QueueIncident } from './QueueIncident';
import { MailboxesCard } from './FleetMailboxes';

export function Fleet() {
  const hosts = usePolling(api.listHosts, [], POLL_MS);
  const list = hosts.data;
  const connected = list?.filter((h) => h.connected).length ?? 0;
  const failed = list?.filter((h) => revisionState(h) === 'failed').length ?? 0;
  const pending = list?.filter((h) => revisionState(h) === 'pending').length ?? 0;

  return (
    <>
      <section className="page-head">
        <h1>Fleet</h1>
        {list && (
          <p className="summary" data-testid="fleet-summary">
            {list.length} hosts · {connected} connected · {pending} pending · <span className={failed ? 'bad' : ''}>{failed} failed</span>
          </p>
        )}
      </section>
      <ErrorBox error={hosts.error} />
      {list && list.length === 0 && <p className="muted">No hosts yet. Add one below, then start its agent.</p>}
      {list && list.length > 0 && (
        <table className="hosts" data-testid="hosts-table">
          <thead>
            <tr>
              <th>Host</th>
              <th>Groups</th>
              <th>Agent</th>
              <th>qmail</th>
              <th className="num">Desired</th>
              <th className="num">Applied</th>
              <th className="num">Drift</th>
              <th className="num">Queue</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {list.map((h) => (
              <HostRow key={h.id} host={h} />
            ))}
          </tbody>
        </table>
      )}
      {list && list.length > 0 && <FleetQueueChart hosts={list} />}
      {list && list.length > 0 && (
        <div className="grid">
          <DestinationsCard />
          <QueueIncident hosts={list} />
          <MailboxesCard />
        </div>
      )}
      {list && list.length > 0 && <FleetActions />}
      <AddHost onCreated={hosts.refresh} />
    </>
  );
}

function HostRow({ host: h }: { host: Host }) {
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
        <td className={`num ${h.drift.length ? 'warn' : ''}`} data-testid="host-drift">
          {h.drift.length}
        </td>
        <QueueCell queue={h.queue} />
        <td title={when(h.lastSeen)}>{h.connected ? 'now' : ago(h.lastSeen)}</td>
      </tr>
      {state === 'failed' && h.lastApply?.error && (
        <tr className="row-error" data-testid="host-row-error" data-host-name={h.name}>
          <td colSpan={9}>
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
}

function stateTitle(h: Host): string {
  const s = revisionState(h);
  if (s === 'failed') return `revision ${h.failedRevision} failed on the host`;
  if (s === 'pending') return `revision ${h.desiredRevision} not applied yet`;
  return 'in sync';
}
