import type { ApiError } from '../api';

/** An API error as the operator needs it: the message, then each field that was refused. */
export function ErrorBox({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  const { message, fields } = error.body;
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
