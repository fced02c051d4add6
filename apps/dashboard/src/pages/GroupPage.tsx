import { useState } from 'react';
import { api, type GroupView, type Host } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { ConnectedDot } from '../components/status';
import { POLL_MS, useAction, usePolling } from '../hooks';
import { navigate } from '../router';
import { useCan } from '../session';
import { GroupConfiguration } from './GroupConfiguration';

/**
 * One group: its members (added and taken out here, each host keeping its other groups in
 * their order) and its document, which every member layers under its own.
 */
export function GroupPage({ name }: { name: string }) {
  const group = usePolling(() => api.getGroup(name), [name], POLL_MS);
  const hosts = usePolling(api.listHosts, [], POLL_MS);
  const canEdit = useCan('operator');
  const g = group.data;

  const changed = () => {
    void group.refresh();
    void hosts.refresh();
  };

  return (
    <>
      <p className="crumbs">
        <Link to="/groups">← Groups</Link>
      </p>
      <section className="page-head">
        <h1 data-testid="group-title">{name}</h1>
        {g && (
          <p
            className="summary"
            data-testid="group-summary"
            data-revision={g.revision}
            data-hosts={g.hosts.length}
          >
            revision {g.revision} · {g.hosts.length}{' '}
            {g.hosts.length === 1 ? 'host' : 'hosts'}
          </p>
        )}
        <span className="spacer" />
        {g && canEdit && <DeleteGroup group={g} />}
      </section>
      <ErrorBox error={group.error} />
      {g && (
        <Members
          group={g}
          hosts={hosts.data}
          canEdit={canEdit}
          onChanged={changed}
        />
      )}
      {g && <GroupConfiguration group={g.name} canEdit={canEdit} onSaved={changed} />}
    </>
  );
}

function Members({
  group: g,
  hosts,
  canEdit,
  onChanged,
}: {
  group: GroupView;
  hosts: Host[] | undefined;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const [adding, setAdding] = useState('');
  const action = useAction();
  const byId = new Map((hosts ?? []).map((h) => [h.id, h]));
  const others = (hosts ?? []).filter((h) => !h.groups.includes(g.name));

  // The host's groups are its layer order: a new group goes last (it wins over the others).
  const setGroups = async (host: Host, groups: string[]) => {
    if (await action.run(() => api.updateHost(host.id, { groups })))
      onChanged();
  };
  const add = async () => {
    const host = byId.get(adding);
    if (!host) return;
    await setGroups(host, [...host.groups, g.name]);
    setAdding('');
  };

  return (
    <section className="card" data-testid="group-members">
      <h2>Members</h2>
      <p className="muted small">
        Each member layers its groups in its own order, then its own document;
        adding a group puts it last, over the host's other groups. A host that has no revision yet gets the group's document with its first one.
      </p>
      {g.hosts.length === 0 && <p className="muted">No hosts in this group.</p>}
      <table className="compact">
        <tbody>
          {g.hosts.map((m) => {
            const host = byId.get(m.id);
            return (
              <tr key={m.id} data-testid="group-member" data-host-name={m.name}>
                <td>
                  {host && <ConnectedDot connected={host.connected} />}{' '}
                  <Link to={`/hosts/${encodeURIComponent(m.name)}`}>
                    {m.name}
                  </Link>
                </td>
                <td className="muted small">{host?.groups.join(' → ')}</td>
                <td>
                  {canEdit && host && (
                    <button
                      type="button"
                      className="small-button"
                      disabled={action.busy}
                      onClick={() =>
                        setGroups(
                          host,
                          host.groups.filter((x) => x !== g.name),
                        )
                      }
                      data-testid="group-member-remove"
                    >
                      Take out
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {canEdit && (
        <div className="actions">
          <select
            value={adding}
            onChange={(e) => setAdding(e.target.value)}
            data-testid="group-member-pick"
            aria-label="Host to add"
          >
            <option value="">add a host…</option>
            {others.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="small-button"
            disabled={!adding || action.busy}
            onClick={add}
            data-testid="group-member-add"
          >
            Add
          </button>
        </div>
      )}
      <ErrorBox error={action.error} />
    </section>
  );
}

/** A group with members cannot be deleted (the API refuses): the button says so instead of failing. */
function DeleteGroup({ group: g }: { group: GroupView }) {
  const [asking, setAsking] = useState(false);
  const action = useAction();
  const remove = async () => {
    const done = await action.run(async () => {
      await api.deleteGroup(g.name);
      return true;
    });
    if (done) navigate('/groups');
  };
  return (
    <div>
      <button
        type="button"
        className="small-button danger"
        disabled={g.hosts.length > 0 || action.busy}
        title={g.hosts.length ? 'take its hosts out first' : undefined}
        onClick={() => setAsking(true)}
        data-testid="group-delete"
      >
        Delete group
      </button>
      {asking && (
        <ConfirmBox
          confirmLabel={`Delete ${g.name}`}
          busy={action.busy}
          onConfirm={remove}
          onCancel={() => setAsking(false)}
          testId="group-delete-confirm"
        >
          Delete the group <code>{g.name}</code> and its document?
        </ConfirmBox>
      )}
      <ErrorBox error={action.error} />
    </div>
  );
}
