import { api, type RolloutSummary } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { Counts, LiveState, ProgressBar, RolloutStatusBadge, TargetText, finishedHosts, total } from '../components/rollout';
import { when } from '../format';
import { useCoalesced, usePolling, useRolloutProgress } from '../hooks';
import { useCan } from '../session';

/** Recent rollouts, newest first, kept current by the controller's live progress. */
export function Rollouts() {
  const rollouts = usePolling(api.listRollouts, []);
  const canStart = useCan('operator');
  const reload = useCoalesced(rollouts.refresh);
  const live = useRolloutProgress(reload, reload);
  const list = rollouts.data;
  const running = list?.filter((r) => r.status === 'running').length ?? 0;

  return (
    <>
      <section className="page-head">
        <h1>Rollouts</h1>
        {list && (
          <p className="summary" data-testid="rollouts-summary">
            {list.length} recent · {running} running
          </p>
        )}
        <LiveState live={live.live} problem={live.problem} />
        <span className="spacer" />
        {canStart && (
          <Link to="/rollouts/new" className="button primary" testId="new-rollout">
            New rollout
          </Link>
        )}
      </section>
      <ErrorBox error={rollouts.error} />
      {list && list.length === 0 && <p className="muted">No rollouts yet. A rollout takes one change to many hosts, a batch at a time.</p>}
      {list && list.length > 0 && (
        <table className="hosts" data-testid="rollouts-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Kind</th>
              <th>Created by</th>
              <th>When</th>
              <th>Target</th>
              <th>Progress</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <RolloutRow key={r.id} rollout={r} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RolloutRow({ rollout: r }: { rollout: RolloutSummary }) {
  return (
    <tr data-testid="rollout-row" data-rollout-id={r.id} data-status={r.status} data-kind={r.kind}>
      <td>
        <Link to={`/rollouts/${r.id}`} testId="rollout-link">
          <RolloutStatusBadge status={r.status} testId="rollout-row-status" />
        </Link>
      </td>
      <td>{r.kind}</td>
      <td>{r.createdBy}</td>
      <td>
        <Link to={`/rollouts/${r.id}`}>{when(r.createdAt)}</Link>
      </td>
      <td>
        <TargetText target={r.target} />
      </td>
      <td className="progress-cell">
        <ProgressBar counts={r.counts} />
        <span className="muted small">
          {finishedHosts(r.counts)}/{total(r.counts)}
        </span>{' '}
        <span className="small">
          <Counts counts={r.counts} />
        </span>
      </td>
    </tr>
  );
}
