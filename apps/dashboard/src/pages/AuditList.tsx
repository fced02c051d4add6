import type { ReactNode } from 'react';
import type { ApiError, AuditEntry } from '../api';
import { DiffView } from '../components/DiffView';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { ago, when } from '../format';

const SHOWN = 20;

/** `host:<id>` as the host's name (a link), other targets as they are. */
function Target({ target, hostNames }: { target: string; hostNames?: Map<string, string> }) {
  const host = /^host:(.+)$/.exec(target);
  if (host) return <Link to={`/hosts/${host[1]}`}>{hostNames?.get(host[1]) ?? target}</Link>;
  return <code>{target}</code>;
}

export function AuditList({
  entries,
  error,
  title = 'Recent changes',
  shown = SHOWN,
  hostNames,
}: {
  entries: AuditEntry[] | undefined;
  error: ApiError | undefined;
  title?: string;
  shown?: number;
  /** given on the fleet-wide page: a Target column, hosts by name */
  hostNames?: Map<string, string>;
}) {
  const recent = entries ? [...entries].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, shown) : undefined;
  return (
    <section className="card">
      <h2>{title}</h2>
      <ErrorBox error={error} />
      {recent && recent.length === 0 && <p className="muted">No audit entries yet.</p>}
      {recent && recent.length > 0 && (
        <table className="audit" data-testid="audit-list">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              {hostNames && <th>Target</th>}
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((e) => (
              <tr key={e.id} data-testid="audit-entry" data-action={e.action} data-actor={e.actor} data-target={e.target}>
                <td className="nowrap" title={ago(e.at)}>
                  {when(e.at)}
                </td>
                <td>{e.actor}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                {hostNames && (
                  <td>
                    <Target target={e.target} hostNames={hostNames} />
                  </td>
                )}
                <td>
                  <AuditDiff diff={e.diff} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const isPatch = (v: unknown): v is string => typeof v === 'string' && /^@@ /m.test(v);

/** Audit diffs are free-form JSON; unified-diff strings inside them are shown as diffs. */
function AuditDiff({ diff }: { diff: unknown }) {
  if (diff === null || diff === undefined) return null;
  if (isPatch(diff)) return <Collapsed>
        <DiffView diff={diff} />
      </Collapsed>;
  if (typeof diff !== 'object' || Array.isArray(diff)) return <code>{JSON.stringify(diff)}</code>;
  const entries = Object.entries(diff as Record<string, unknown>);
  const patches = entries.filter(([, v]) => isPatch(v));
  const rest = entries.filter(([, v]) => !isPatch(v));
  return (
    <>
      {rest.length > 0 && (
        <span className="audit-facts">
          {rest.map(([k, v]) => (
            <span key={k}>
              {k}: <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>{' '}
            </span>
          ))}
        </span>
      )}
      {patches.map(([k, v]) => (
        <Collapsed key={k} label={k}>
          <DiffView diff={v as string} />
        </Collapsed>
      ))}
    </>
  );
}

function Collapsed({ label = 'diff', children }: { label?: string; children: ReactNode }) {
  return (
    <details className="audit-diff">
      <summary>{label}</summary>
      {children}
    </details>
  );
}
