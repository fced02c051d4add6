import type { PrivilegedChange } from '../api';

/**
 * Program deliveries and assignments a change adds or alters: they decide what runs on the mail
 * host, and as which uid, so they stand out above the file diffs.
 */
export function PrivilegedWarning({ items }: { items: readonly PrivilegedChange[] | undefined }) {
  if (!items?.length) return null;
  return (
    <div className="warning-box" data-testid="privileged-warning">
      <strong>Runs programs or picks a uid on the mail host:</strong>
      <ul>
        {items.map((p) => (
          <li key={p.path} data-testid="privileged-item" data-path={p.path}>
            <code>{p.path}</code>: {p.kind === 'program' ? <>runs <code>|{p.value}</code></> : <>assigns <code>{p.value}</code></>}
          </li>
        ))}
      </ul>
    </div>
  );
}
