import type { ApiError } from '../api';

/**
 * An API error as the operator needs it: the message, then each field that was refused. A 412
 * of a save (someone saved another revision since the editor opened it) says who and offers
 * `onReload`: the save was refused, nothing of theirs was replaced.
 */
export function ErrorBox({ error, onReload }: { error: ApiError | undefined; onReload?: () => void }) {
  if (!error) return null;
  const { message, fields, current } = error.body;
  if (error.body.statusCode === 412 && current) {
    return (
      <div className="error-box" role="alert" data-testid="stale-notice" data-revision={current.revision}>
        <strong>
          Changed by {current.by ?? 'someone else'} since you opened it (revision {current.revision}):{' '}
          {onReload ? (
            <button type="button" className="linkish" onClick={onReload} data-testid="stale-reload">
              reload
            </button>
          ) : (
            'reload'
          )}
        </strong>
        <p className="muted small">Your changes were not saved. Reloading shows their revision; make your change again on it.</p>
      </div>
    );
  }
  return (
    <div className="error-box" role="alert" data-testid="error-box">
      <strong>{message}</strong>
      {fields && fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={i} data-testid="error-field">
              <code>{f.path || '(document)'}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
