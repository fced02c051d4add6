import type { ApiError, Plan, PlannedChange, PrivilegedChange } from '../api';
import type { PostStep } from '@qfleet/protocol';
import { DiffView } from '../components/DiffView';
import { ErrorBox } from '../components/ErrorBox';
import { PrivilegedWarning } from '../components/PrivilegedWarning';
import { ago } from '../format';

/** What the next apply would change on the host, file by file. */
export function PlanView({ plan, error }: { plan: Plan | undefined; error: ApiError | undefined }) {
  return (
    <section className="card">
      <div className="section-head">
        <h2>Plan</h2>
        {plan && (
          <span className="muted">
            revision {plan.appliedRevision} → {plan.desiredRevision}
            {plan.reportedAt && <> · files reported {ago(plan.reportedAt)}</>}
          </span>
        )}
      </div>
      <ErrorBox error={error} />
      {plan && (
        <div data-testid="plan-list" data-changes={plan.changes.length}>
          <PlanChanges changes={plan.changes} postSteps={plan.postSteps} privileged={plan.privileged} />
        </div>
      )}
    </section>
  );
}

/**
 * A plan's file changes and post-steps; `testPrefix` names its elements, so a page that shows
 * two plans (the host's and a dry run's) tells them apart.
 */
export function PlanChanges({ changes, postSteps, privileged, testPrefix = 'plan', emptyText = "No changes: the host's files match the desired configuration." }: { changes: readonly PlannedChange[]; postSteps: readonly PostStep[]; privileged?: readonly PrivilegedChange[]; testPrefix?: string; emptyText?: string }) {
  return (
    <>
      <PrivilegedWarning items={privileged} />
      {changes.length === 0 ? (
        <p className="muted" data-testid={`${testPrefix}-empty`}>
          {emptyText}
        </p>
      ) : null}
      <ul className="plan">
        {changes.map((c) => (
          <li key={c.path} data-testid={`${testPrefix}-change`} data-path={c.path} data-action={c.action}>
            <div className="plan-path">
              <span className={`action action-${c.action}`}>{c.action}</span> <code>{c.path}</code>
            </div>
            {c.diff ? <DiffView diff={c.diff} testId={`${testPrefix}-diff`} /> : c.action !== 'remove' && <p className="muted small">the file on the host was changed outside qfleet, so its current content is not known</p>}
          </li>
        ))}
      </ul>
      {postSteps.length > 0 && (
        <p data-testid={`${testPrefix}-post-steps`}>
          Then runs:{' '}
          {postSteps.map((s) => (
            <code key={s} className="step">
              {s}
            </code>
          ))}
        </p>
      )}
    </>
  );
}
