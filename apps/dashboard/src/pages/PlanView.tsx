import type { ApiError, Plan } from '../api';
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
          <PrivilegedWarning items={plan.privileged} />
          {plan.changes.length === 0 ? (
            <p className="muted" data-testid="plan-empty">
              No changes: the host's files match the desired configuration.
            </p>
          ) : null}
          <ul className="plan">
            {plan.changes.map((c) => (
              <li key={c.path} data-testid="plan-change" data-path={c.path} data-action={c.action}>
                <div className="plan-path">
                  <span className={`action action-${c.action}`}>{c.action}</span> <code>{c.path}</code>
                </div>
                {c.diff ? <DiffView diff={c.diff} testId="plan-diff" /> : c.action !== 'remove' && <p className="muted small">the file on the host was changed outside qfleet, so its current content is not known</p>}
              </li>
            ))}
          </ul>
          {plan.postSteps.length > 0 && (
            <p data-testid="plan-post-steps">
              Then runs:{' '}
              {plan.postSteps.map((s) => (
                <code key={s} className="step">
                  {s}
                </code>
              ))}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
