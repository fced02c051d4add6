import { useState, type FormEvent } from 'react';
import { AGENT_PACKAGE, agentInstallCommands } from '@qfleet/protocol/ui';
import { api, ApiError, type CreatedHost } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { CopyButton } from '../components/CopyButton';
import { useCan } from '../session';

/** Creates a host; its enrol token is shown once, with the agent's install command that uses it. */
export function AddHost({ onCreated }: { onCreated: () => void }) {
  // Creating hosts is an admin's (POST /api/hosts): other roles get no form that answers 403.
  if (!useCan('admin')) return null;
  return <AddHostForm onCreated={onCreated} />;
}

function AddHostForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [groups, setGroups] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [created, setCreated] = useState<CreatedHost | undefined>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const list = groups
        .split(/[\s,]+/)
        .map((g) => g.trim())
        .filter(Boolean);
      setCreated(await api.createHost(name.trim(), list));
      setName('');
      setGroups('');
      onCreated();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const command = created ? agentInstallCommands(location.origin, created.enrollToken).join(' && ') : '';

  return (
    <section className="card add-host">
      <h2>Add host</h2>
      <form onSubmit={submit} className="inline-form" data-testid="add-host-form">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="mx1.example.com" required data-testid="add-host-name" />
        </label>
        <label>
          Groups <span className="muted small">(comma separated)</span>
          <input value={groups} onChange={(e) => setGroups(e.target.value)} placeholder="eu, shared" data-testid="add-host-groups" />
        </label>
        <button type="submit" className="primary" disabled={busy || !name.trim()} data-testid="add-host-submit">
          Add host
        </button>
      </form>
      <ErrorBox error={error} />
      {created && (
        <div className="enrol" data-testid="enrol-result">
          <p>
            Host <strong>{created.name}</strong> created. Its enrol token works once and is shown only now:
          </p>
          <div className="copy-line">
            <code data-testid="enrol-token">{created.enrollToken}</code>
            <CopyButton text={created.enrollToken} />
          </div>
          <p>
            Install the agent on the mail server (Node.js 20 or later), as root, with the agent package
            (<code>npm run package:agent</code> → <code>dist/{AGENT_PACKAGE}</code>):
          </p>
          <div className="copy-line">
            <code data-testid="enrol-command">{command}</code>
            <CopyButton text={command} />
          </div>
        </div>
      )}
    </section>
  );
}
