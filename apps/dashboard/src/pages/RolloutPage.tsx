import { useState } from 'react';
import { api, type RolloutStatus, type RolloutView } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { Pager } from '../components/Pager';
import { Counts, LiveState, ProgressBar, RolloutStatusBadge, TargetText, finishedHosts, stateClass, total } from '../components/rollout';
import { when } from '../format';
import { useAction, useCoalesced, usePolling, useRolloutProgress } from '../hooks';
import { navigate } from '../router';
import { useCan } from '../session';

type Step = 'pause' | 'resume' | 'cancel' | 'retry' | 'revert';

/** Which steps a rollout in each status takes (apps/controller rollouts.service.ts). */
const ALLOWED: Record<Step, RolloutStatus[]> = {
  pause: ['running'],
  resume: ['paused', 'halted'],
  cancel: ['running', 'paused', 'halted'],
  retry: ['halted', 'cancelled', 'completed'],
  revert: ['halted', 'cancelled', 'completed'],
};

/** One rollout as it runs: its hosts batch by batch, moved on live by the controller's progress events. */
export function RolloutPage({ id }: { id: string }) {
  // The controller answers one page of hosts; the counts and the bar cover them all.
  const [page, setPage] = useState(1);
  const rollout = usePolling(() => api.getRollout(id, page), [id, page]);
  const reload = useCoalesced(rollout.refresh);
  const live = useRolloutProgress((s) => {
    if (s.id === id) reload();
  }, reload);
  const r = rollout.data;

  return (
    <>
      <p className="crumbs">
        <Link to="/rollouts">← Rollouts</Link>
      </p>
      <section className="page-head">
        <h1 data-testid="rollout-title">
          Rollout <code className="muted small" title={id}>{id.slice(0, 8)}</code> {r ? <RolloutStatusBadge status={r.status} /> : null}
        </h1>
        {r && (
          <p className="summary">
            {r.kind === 'change' ? 'a change' : r.kind === 'retry' ? 'a retry' : 'a revert'}
            {r.parentId && (
              <>
                {' '}
                of{' '}
                <Link to={`/rollouts/${r.parentId}`} testId="rollout-parent">
                  an earlier rollout
                </Link>
              </>
            )}{' '}
            by {r.createdBy} · {when(r.createdAt)}
          </p>
        )}
        <LiveState live={live.live} problem={live.problem} />
      </section>
      <ErrorBox error={rollout.error} />
      {r && (
        <>
          <div className="grid">
            <Progress rollout={r} onChanged={reload} />
            <Settings rollout={r} />
          </div>
          <Hosts rollout={r} />
          <Pager page={r.hostsPage.page} perPage={r.hostsPage.pageSize} total={r.hostsPage.total} onPage={setPage} />
        </>
      )}
    </>
  );
}

function Progress({ rollout: r, onChanged }: { rollout: RolloutView; onChanged: () => void }) {
  const action = useAction();
  const [confirming, setConfirming] = useState<'cancel' | 'revert' | undefined>();
  const done = finishedHosts(r.counts);
  const all = total(r.counts);

  // Halted on failures: resuming as it is would halt again at once, so offer a higher limit.
  const haltedOnFailures = r.status === 'halted' && r.failures > r.maxFailures;
  const [limitInput, setLimit] = useState<string | undefined>();
  const limit = limitInput ?? String(r.failures);

  // Every step is an operator's request: a viewer follows the rollout without buttons that answer 403.
  const canSteer = useCan('operator');
  const steer = async (step: Step) => {
    const view = await action.run(() => (step === 'resume' && haltedOnFailures ? api.resumeRollout(r.id, Number(limit)) : api.steerRollout(r.id, step)));
    setConfirming(undefined);
    if (!view) return;
    // retry and revert start a new rollout: follow it
    if (view.id !== r.id) navigate(`/rollouts/${view.id}`);
    else onChanged();
  };
  // Retry takes the hosts that failed: with none, there is nothing to retry.
  const allowed = (step: Step) => ALLOWED[step].includes(r.status) && (step !== 'retry' || r.failures > 0);
  const button = (step: Step, label: string, title: string, onClick: () => void = () => void steer(step)) => (
    <button
      type="button"
      className="small-button"
      onClick={onClick}
      disabled={action.busy || !allowed(step) || confirming !== undefined}
      data-testid={`rollout-${step}`}
      data-enabled={String(allowed(step))}
      title={title}
    >
      {label}
    </button>
  );

  return (
    <section className={`card ${r.status === 'halted' ? 'card-bad' : ''}`} data-testid="rollout-state" data-status={r.status}>
      <div className="section-head">
        <h2>Progress</h2>
        <span className="muted" data-testid="rollout-batch">
          {r.batches === 0 ? 'no batches' : r.batch >= r.batches ? `all ${r.batches} ${r.batches === 1 ? 'batch' : 'batches'} done` : `batch ${r.batch + 1} of ${r.batches}`}
        </span>
      </div>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <RolloutStatusBadge status={r.status} testId="rollout-status-fact" />
          {r.finishedAt && <span className="muted"> at {when(r.finishedAt)}</span>}
        </dd>
        {r.reason && (
          <>
            <dt>Reason</dt>
            <dd className={r.status === 'halted' ? 'bad' : ''} data-testid="rollout-reason">
              {r.reason}
            </dd>
          </>
        )}
        <dt>Hosts</dt>
        <dd>
          <span data-testid="rollout-done" data-done={done} data-total={all}>
            {done} of {all} done
          </span>
          {r.failures > 0 && (
            <span className="bad">
              {' '}
              · {r.failures} failed (limit {r.maxFailures})
            </span>
          )}
        </dd>
      </dl>
      <ProgressBar counts={r.counts} large />
      <p className="small">
        <Counts counts={r.counts} />
      </p>
      {canSteer && <div className="actions" data-testid="rollout-steer">
        {button('pause', 'Pause', 'stop after the batch in flight')}
        {haltedOnFailures && (
          <label className="inline-label">
            allow
            <input className="narrow-number" type="number" min={r.failures} value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="rollout-resume-limit" />
            failures, then
          </label>
        )}
        {button('resume', 'Resume', haltedOnFailures ? 'raise the failure limit and go on' : 'go on from where it stopped')}
        {button('cancel', 'Cancel', 'start no further batch', () => setConfirming('cancel'))}
        {button('retry', 'Retry failed', 'a new rollout of the same change to the hosts that failed')}
        {button('revert', 'Revert', 'a new rollout giving each changed host the document it had before', () => setConfirming('revert'))}
      </div>}
      {confirming === 'cancel' && (
        <ConfirmBox confirmLabel="Cancel the rollout" cancelLabel="Keep it" busy={action.busy} onConfirm={() => void steer('cancel')} onCancel={() => setConfirming(undefined)} testId="rollout-confirm">
          Start no further batch? Hosts already sent keep their new revision; a cancelled rollout cannot be resumed, but it can be retried or reverted.
        </ConfirmBox>
      )}
      {confirming === 'revert' && (
        <ConfirmBox confirmLabel="Start the revert" cancelLabel="Keep the change" busy={action.busy} onConfirm={() => void steer('revert')} onCancel={() => setConfirming(undefined)} testId="rollout-confirm">
          Start a new rollout that gives every host this one changed the document it had before? A host changed again since is skipped.
        </ConfirmBox>
      )}
      <ErrorBox error={action.error} />
    </section>
  );
}

function Settings({ rollout: r }: { rollout: RolloutView }) {
  return (
    <section className="card" data-testid="rollout-settings">
      <h2>Change</h2>
      <dl className="facts">
        <dt>Target</dt>
        <dd>
          <TargetText target={r.target} />
        </dd>
        <dt>Batches</dt>
        <dd>
          {r.batchSize} {r.batchSize === 1 ? 'host' : 'hosts'} each · timeout {r.batchTimeoutSec} s · max failures {r.maxFailures}
        </dd>
        <dt>Health gate</dt>
        <dd>
          {r.health ? (
            <>
              settle {r.health.settleSeconds} s{r.health.maxQueueGrowth !== undefined && <> · queue growth ≤ {r.health.maxQueueGrowth}</>}
              {r.health.maxOldestAgeSec !== undefined && <> · oldest ≤ {r.health.maxOldestAgeSec} s</>} · then {r.health.onFail}
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
      </dl>
      {r.kind === 'revert' ? (
        <p className="muted">Each host gets the document it had before the earlier rollout.</p>
      ) : (
        <pre className="json" data-testid="rollout-change">
          {JSON.stringify(r.change, null, 2)}
        </pre>
      )}
    </section>
  );
}

function Hosts({ rollout: r }: { rollout: RolloutView }) {
  return (
    <table className="hosts" data-testid="rollout-hosts">
      <thead>
        <tr>
          <th>Host</th>
          <th className="num">Batch</th>
          <th>State</th>
          <th className="num">Revision</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {r.hosts.map((h) => (
          <tr key={h.hostId} data-testid="rollout-host-row" data-host-name={h.name} data-state={h.state} className={h.batch === r.batch && r.batch < r.batches ? 'current-batch' : ''}>
            <td>
              <Link to={`/hosts/${h.hostId}`} className="host-name">
                {h.name}
              </Link>
            </td>
            <td className="num">{h.batch + 1}</td>
            <td className={stateClass(h.state)} data-testid="rollout-host-state" title={h.doneAt ? `done ${when(h.doneAt)}` : h.sentAt ? `sent ${when(h.sentAt)}` : undefined}>
              {h.state}
            </td>
            <td className="num" data-testid="rollout-host-revision">
              {h.revision === null ? (
                <span className="muted">–</span>
              ) : (
                <>
                  {h.previousRevision !== null && h.previousRevision !== h.revision && <span className="muted">{h.previousRevision} → </span>}
                  {h.revision}
                </>
              )}
            </td>
            <td className={h.error ? 'bad' : 'muted'} data-testid="rollout-host-error">
              {h.error ?? ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
