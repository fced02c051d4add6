import { useState, type FormEvent } from 'react';
import { api, type ApiRole, type ApiTokenView, type CreatedApiToken } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { CopyButton } from '../components/CopyButton';
import { ErrorBox } from '../components/ErrorBox';
import { ago, when } from '../format';
import { useAction, usePolling } from '../hooks';
import { ROLE_INFO, useCan, useSession } from '../session';

/** API tokens (admin): who can reach the API, with which role; a new secret is shown this once only. */
export function Tokens() {
  const isAdmin = useCan('admin');
  const me = useSession();
  const tokens = usePolling(api.listTokens, [isAdmin]);
  const [created, setCreated] = useState<CreatedApiToken | undefined>(undefined);
  const [deleting, setDeleting] = useState<ApiTokenView | undefined>(undefined);
  const remove = useAction();

  if (me && !isAdmin) return <p className="muted">Tokens are managed with an admin token.</p>;

  const confirmDelete = async () => {
    if (!deleting) return;
    const ok = await remove.run(() => api.deleteToken(deleting.id).then(() => true));
    setDeleting(undefined);
    if (ok) void tokens.refresh();
  };

  return (
    <>
      <section className="page-head">
        <h1>API tokens</h1>
        <p className="muted">{Object.entries(ROLE_INFO).map(([r, d]) => `${r}: ${d}`).join(' · ')}</p>
      </section>
      <CreateToken
        onCreated={(t) => {
          setCreated(t);
          void tokens.refresh();
        }}
      />
      {created && (
        <section className="card card-warn" data-testid="token-created" data-token-name={created.name}>
          <h2>Token “{created.name}” ({created.role})</h2>
          <p>Copy it now: it is shown this once, and the controller keeps only its hash.</p>
          <p>
            <code className="secret" data-testid="token-secret">
              {created.token}
            </code>{' '}
            <CopyButton text={created.token} />
          </p>
          <button type="button" className="small-button" onClick={() => setCreated(undefined)} data-testid="token-secret-dismiss">
            I have stored it
          </button>
        </section>
      )}
      <section className="card">
        <h2>Tokens</h2>
        <ErrorBox error={tokens.error} />
        <ErrorBox error={remove.error} />
        {deleting && (
          <ConfirmBox confirmLabel="Delete the token" busy={remove.busy} onConfirm={confirmDelete} onCancel={() => setDeleting(undefined)} testId="token-delete-confirm">
            Delete “{deleting.name}” ({deleting.role})? Requests with it are refused at once, and its open dashboard sessions are closed.
          </ConfirmBox>
        )}
        {tokens.data && (
          <table className="compact" data-testid="tokens-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Created</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid="token-row" data-token-name={t.name} data-role={t.role}>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td>{when(t.createdAt)}</td>
                  <td title={when(t.lastUsed)}>{t.lastUsed ? ago(t.lastUsed) : 'never'}</td>
                  <td>
                    <button type="button" className="small-button" onClick={() => setDeleting(t)} disabled={remove.busy} data-testid="token-delete">
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function CreateToken({ onCreated }: { onCreated: (t: CreatedApiToken) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiRole>('viewer');
  const create = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = await create.run(() => api.createToken(name, role));
    if (t) {
      setName('');
      onCreated(t);
    }
  };
  return (
    <section className="card">
      <h2>New token</h2>
      <form className="filters" onSubmit={submit}>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="ci deploy" data-testid="token-name" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as ApiRole)} data-testid="token-role">
            {(Object.keys(ROLE_INFO) as ApiRole[]).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={create.busy} data-testid="token-create">
          Create
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}
