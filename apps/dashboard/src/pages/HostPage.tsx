import { useEffect, useState } from 'react';
import { api, type ApiError, type Host } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { ConnectedDot, QmailState, revisionState } from '../components/status';
import { age, ago, bytes, when } from '../format';
import { POLL_MS, useAction, usePolling } from '../hooks';
import { AuditList } from './AuditList';
import { HostConfiguration } from './HostConfiguration';
import { DriftCard } from './DriftCard';
import { EffectiveDocument } from './EffectiveDocument';
import { useCan } from '../session';
import { PlanView } from './PlanView';
import { HostMailboxes } from './HostMailboxes';
import { HostQueue } from './HostQueue';
import { HostMailboxStats } from './HostMailboxStats';
import { HostQueueChart } from './QueueCharts';
import { ServiceActions } from './ServiceActions';
import type { HostTab } from '../router';

const TAB_LABELS: Record<HostTab, string> = { overview: 'Configuration', queue: 'Queue', mailboxes: 'Mailboxes' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `/hosts/:ref` takes a host's id or its name, as the CLI does (the API's host paths take
 * both): a name is resolved to the id once, and the page works on the id, which the audit's
 * target and the live events carry. The URL keeps the name it was given.
 */
export function HostPage({ id: ref, tab }: { id: string; tab: HostTab }) {
  const [resolved, setResolved] = useState<{ id?: string; error?: ApiError }>(() => (UUID.test(ref) ? { id: ref } : {}));
  useEffect(() => {
    if (UUID.test(ref)) return;
    let live = true;
    api.getHost(ref).then(
      (h) => live && setResolved({ id: h.id }),
      (e: ApiError) => live && setResolved({ error: e }),
    );
    return () => {
      live = false;
    };
  }, [ref]);
  if (resolved.error) return <ErrorBox error={resolved.error} />;
  if (!resolved.id) return <p className="muted" data-testid="host-resolving">Looking up {ref}…</p>;
  return <HostView id={resolved.id} urlRef={ref} tab={tab} />;
}

function HostView({ id, urlRef, tab }: { id: string; urlRef: string; tab: HostTab }) {
  const host = usePolling(() => api.getHost(id), [id], POLL_MS);
  const plan = usePolling(() => api.getPlan(id), [id], POLL_MS);
  const audit = usePolling(() => api.audit(`host:${id}`), [id], POLL_MS);
  const h = host.data;
  const [configKey, setConfigKey] = useState(0);

  const saved = () => {
    void host.refresh();
    void plan.refresh();
    void audit.refresh();
  };
  /** Adopting drift writes the document behind the editor's back. */
  const documentChanged = () => {
    setConfigKey((k) => k + 1);
    saved();
  };

  return (
    <>
      <p className="crumbs">
        <Link to="/">← Fleet</Link>
      </p>
      <section className="page-head">
        <h1 data-testid="host-title">
          {h && <ConnectedDot connected={h.connected} />} {h?.name ?? 'Host'}
        </h1>
        {h && h.groups.length > 0 && (
          <p>
            {h.groups.map((g) => (
              <span key={g} className="tag">
                {g}
              </span>
            ))}
          </p>
        )}
      </section>
      <nav className="tabs" data-testid="host-tabs">
        {(Object.keys(TAB_LABELS) as HostTab[]).map((t) => (
          <Link key={t} to={t === 'overview' ? `/hosts/${encodeURIComponent(urlRef)}` : `/hosts/${encodeURIComponent(urlRef)}/${t}`} className={t === tab ? 'active' : ''} testId={`host-tab-${t}`}>
            {TAB_LABELS[t]}
            {t === 'queue' && h?.queue ? <span className="count">{h.queue.messages}</span> : null}
          </Link>
        ))}
      </nav>
      <ErrorBox error={host.error} />
      {tab === 'queue' && <HostQueueChart hostId={id} />}
      {tab === 'queue' && <HostQueue hostId={id} connected={h?.connected} />}
      {tab === 'mailboxes' && <HostMailboxStats hostId={id} />}
      {tab === 'mailboxes' && <HostMailboxes hostId={id} connected={h?.connected} />}
      {tab === 'overview' && h && (
        <div className="grid">
          <Status host={h} />
          <LastApply host={h} onRetried={saved} />
          <DriftCard host={h} onChanged={documentChanged} />
          <ServiceActions hostId={h.id} hostName={h.name} connected={h.connected} />
        </div>
      )}
      {tab === 'overview' && (h || !host.error) && (
        <>
          <HostConfiguration hostId={id} reloadKey={configKey} onSaved={saved} />
          <EffectiveDocument hostId={id} revision={h?.desiredRevision} />
          <PlanView plan={plan.data} error={plan.error} />
          <AuditList entries={audit.data} error={audit.error} />
        </>
      )}
    </>
  );
}

function Status({ host: h }: { host: Host }) {
  const state = revisionState(h);
  return (
    <section className="card" data-testid="host-status">
      <h2>Status</h2>
      <dl className="facts">
        <dt>Agent</dt>
        <dd data-testid="host-connected" data-connected={String(h.connected)}>
          {h.connected ? 'connected' : 'offline'}
          {h.agentVersion && <span className="muted"> · v{h.agentVersion}</span>}
        </dd>
        <dt>Last seen</dt>
        <dd title={when(h.lastSeen)}>{h.connected ? 'now' : ago(h.lastSeen)}</dd>
        <dt>qmail</dt>
        <dd>
          <QmailState qmail={h.qmail} />
          {h.qmail?.since && <span className="muted"> since {when(h.qmail.since)}</span>}
        </dd>
        <dt>Queue</dt>
        <dd data-testid="host-queue">
          {h.queue ? (
            <>
              {h.queue.messages} messages · {h.queue.local} local · {h.queue.remote} remote · {bytes(h.queue.bytes)}
              {h.queue.unprocessed > 0 && <span className="warn"> · {h.queue.unprocessed} unprocessed</span>}
              {h.queue.oldestAgeSec !== null && h.queue.messages > 0 && <span className="muted"> · oldest {age(h.queue.oldestAgeSec)}</span>}
            </>
          ) : (
            <span className="muted">not reported</span>
          )}
        </dd>
        <dt>Desired revision</dt>
        <dd data-testid="host-desired">{h.desiredRevision}</dd>
        <dt>Applied revision</dt>
        <dd className={`rev rev-${state}`} data-testid="host-applied" data-revision-state={state} data-note={note(h)}>
          {h.appliedRevision}
        </dd>
        {h.failedRevision !== null && state !== 'failed' && (
          <>
            <dt>Last failed</dt>
            <dd>revision {h.failedRevision}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** Shown beside the applied revision by CSS, so the cell's text stays the bare number. */
function note(h: Host): string | undefined {
  const state = revisionState(h);
  if (state === 'failed') return `revision ${h.failedRevision} failed`;
  if (state === 'pending') return h.connected ? 'applying' : 'waiting for the agent';
  return undefined;
}

/** A refused revision is not resent by itself (Contract): Retry sends it again once the cause on the host is fixed. */
function LastApply({ host: h, onRetried }: { host: Host; onRetried: () => void }) {
  const result = h.lastApply;
  const failed = revisionState(h) === 'failed';
  const retry = useAction();
  const canRetry = useCan('operator');
  const sendAgain = async () => {
    if (await retry.run(() => api.retryApply(h.id))) onRetried();
  };
  return (
    <section className={`card ${failed ? 'card-bad' : ''}`} data-testid="last-apply">
      <div className="section-head">
        <h2>Last apply</h2>
        {failed && canRetry && (
          <button type="button" className="small-button" onClick={sendAgain} disabled={retry.busy} data-testid="apply-retry" title={`send revision ${h.failedRevision} to the agent again`}>
            {retry.busy ? 'Sending…' : 'Retry'}
          </button>
        )}
      </div>
      <ErrorBox error={retry.error} />
      {!result && <p className="muted">Nothing applied yet.</p>}
      {result && (
        <>
          <p>
            Revision {result.revision}:{' '}
            {result.ok ? <strong className="good">applied</strong> : <strong className="bad">failed, rolled back</strong>}{' '}
            <span className="muted" title={when(result.at)}>
              {ago(result.at)} · {result.ms} ms
            </span>
          </p>
          {result.error && (
            <div className="error-box" data-testid="apply-error">
              <code>{result.error.step}</code>
              {result.error.file && (
                <>
                  {' '}
                  on <code>{result.error.file}</code>
                </>
              )}
              : {result.error.message}
            </div>
          )}
          <h3>Changed files</h3>
          {result.changed.length ? (
            <ul className="paths" data-testid="apply-changed">
              {result.changed.map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">none</p>
          )}
          {result.skipped.length > 0 && (
            <>
              <h3>Skipped steps</h3>
              <ul className="paths" data-testid="apply-skipped">
                {result.skipped.map((s) => (
                  <li key={s}>
                    <code>{s}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

