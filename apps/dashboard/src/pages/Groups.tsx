import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { when } from '../format';
import { useAction, usePolling } from '../hooks';
import { navigate } from '../router';
import { useCan } from '../session';

/** Every group with its member count; operators create one here and fill it on its page. */
export function Groups() {
  const groups = usePolling(api.listGroups, []);
  const canEdit = useCan('operator');
  const [name, setName] = useState('');
  const create = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const made = await create.run(() => api.createGroup(name.trim()));
    if (made) navigate(`/groups/${encodeURIComponent(made.name)}`);
  };

  return (
    <>
      <section className="page-head">
        <h1>Groups</h1>
        <p className="summary">
          A group's document is layered under each member's own, in the member's
          order of groups.
        </p>
      </section>
      {canEdit && (
        <form
          className="filters card"
          onSubmit={submit}
          data-testid="group-create-form"
        >
          <label>
            New group
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="eu-mx"
              data-testid="group-name"
            />
          </label>
          <button
            type="submit"
            className="primary"
            disabled={!name.trim() || create.busy}
            data-testid="group-create"
          >
            Create
          </button>
          <ErrorBox error={create.error} />
        </form>
      )}
      <ErrorBox error={groups.error} />
      {groups.data && groups.data.length === 0 && (
        <p className="muted">No groups yet.</p>
      )}
      {groups.data && groups.data.length > 0 && (
        <table className="hosts" data-testid="groups-table">
          <thead>
            <tr>
              <th>Group</th>
              <th>Hosts</th>
              <th>Revision</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {groups.data.map((g) => (
              <tr
                key={g.name}
                data-testid="group-row"
                data-group={g.name}
                data-hosts={g.hosts}
              >
                <td>
                  <Link to={`/groups/${encodeURIComponent(g.name)}`}>
                    {g.name}
                  </Link>
                </td>
                <td>{g.hosts}</td>
                <td>{g.revision}</td>
                <td>{when(g.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
