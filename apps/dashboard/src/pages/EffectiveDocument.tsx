import { api, type EffectiveView } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { usePolling } from '../hooks';

/**
 * What the host's files are rendered from: its groups in its order, then its own document,
 * merged (GET …/effective). Each value says which layer it comes from, so an operator sees
 * whether to change the host or one of its groups.
 */
export function EffectiveDocument({
  hostId,
  revision,
}: {
  hostId: string;
  revision: number | undefined;
}) {
  // Reloaded when the desired revision moves (a save here, a group's save, a rollout).
  const eff = usePolling(() => api.getEffective(hostId), [hostId, revision]);
  const v = eff.data;
  return (
    <section
      className="card"
      data-testid="effective-document"
      data-layers={v?.layers.join(' ')}
    >
      <div className="section-head">
        <h2>Effective document</h2>
        {v && (
          <span className="muted small">
            layers, later wins:{' '}
            {v.layers.map((l) => (
              <span key={l} className="tag">
                <OriginName origin={l} />
              </span>
            ))}
          </span>
        )}
      </div>
      <ErrorBox error={eff.error} />
      {v && rows(v).length === 0 && (
        <p className="muted">No layer manages anything yet.</p>
      )}
      {v && rows(v).length > 0 && (
        <table className="compact effective">
          <thead>
            <tr>
              <th>Field</th>
              <th>Value</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {rows(v).map((r) => (
              <tr
                key={r.path}
                data-testid="effective-entry"
                data-path={r.path}
                data-origin={r.origin}
              >
                <td>
                  <code>{r.path}</code>
                </td>
                <td>
                  <code className="wrap">{r.value}</code>
                </td>
                <td data-testid="effective-origin">
                  <OriginName origin={r.origin} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function OriginName({ origin }: { origin: string }) {
  if (origin.startsWith('group:')) {
    const name = origin.slice('group:'.length);
    return <Link to={`/groups/${encodeURIComponent(name)}`}>group {name}</Link>;
  }
  return <>{origin === 'host' ? "host's own" : origin}</>;
}

interface Row {
  path: string;
  value: string;
  origin: string;
}

/** One row per scalar, per list entry, and one for a list that is removed (`null`) or empty. */
function rows(v: EffectiveView): Row[] {
  const out: Row[] = [];
  for (const [field, value] of Object.entries(v.document)) {
    if (Array.isArray(value)) {
      if (value.length === 0)
        out.push({
          path: field,
          value: '[] (an empty file)',
          origin: v.origin[field] ?? '',
        });
      value.forEach((entry, i) => {
        const path = `${field}[${i}]`;
        out.push({
          path,
          value: typeof entry === 'string' ? entry : JSON.stringify(entry),
          origin: v.origin[path] ?? v.origin[field] ?? '',
        });
      });
    } else {
      out.push({
        path: field,
        value:
          value === null
            ? 'null (removed: qmail’s default applies)'
            : JSON.stringify(value),
        origin: v.origin[field] ?? '',
      });
    }
  }
  return out;
}
