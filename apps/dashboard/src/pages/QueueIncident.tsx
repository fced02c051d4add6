import { useState, type FormEvent } from 'react';
import type { QueueFindRequest } from '@qfleet/protocol';
import { api, type FindResult, type FleetTarget, type PurgeResult } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { useAction } from '../hooks';
import { useCan } from '../session';

/**
 * A compromised account spamming through many hosts: find its queued messages everywhere,
 * look at the counts per host, then delete them. Each host stops qmail-send for the delete
 * and starts it again (QMAIL.md §4, "Safe intervention").
 */
export function QueueIncident({ hostCount, groups: allGroups }: { hostCount: number; groups: string[] }) {
  const canPurge = useCan('operator');
  const [sender, setSender] = useState('');
  const [recipientDomain, setRecipientDomain] = useState('');
  const [subject, setSubject] = useState('');
  const [scope, setScope] = useState<'all' | 'groups'>('all');
  const [groups, setGroups] = useState<string[]>([]);
  const [found, setFound] = useState<{ result: FindResult; target: FleetTarget; criteria: QueueFindRequest } | undefined>();
  const [purged, setPurged] = useState<PurgeResult | undefined>();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();

  const criteria = (): QueueFindRequest => ({
    ...(sender.trim() ? { sender: sender.trim() } : {}),
    ...(recipientDomain.trim() ? { recipientDomain: recipientDomain.trim() } : {}),
    ...(subject.trim() ? { subject: subject.trim() } : {}),
  });
  // Every host by the pattern that matches any name: the page no longer holds the whole fleet's ids.
  const target = (): FleetTarget => (scope === 'all' ? { names: ['*'] } : { groups });
  const ready = Boolean(sender.trim() || recipientDomain.trim() || subject.trim()) && (scope === 'all' ? hostCount > 0 : groups.length > 0);

  const find = async (e: FormEvent) => {
    e.preventDefault();
    setFound(undefined);
    setPurged(undefined);
    setConfirming(false);
    const c = criteria();
    const t = target();
    const result = await action.run(() => api.findQueued(t, c));
    if (result) setFound({ result, target: t, criteria: c });
  };
  // The purge searches again with the same criteria and target, so what is deleted is what matches now.
  const purge = async () => {
    if (!found) return;
    const result = await action.run(() => api.purgeQueued(found.target, found.criteria));
    setConfirming(false);
    if (result) setPurged(result);
  };

  const shown = purged ?? found?.result;
  return (
    <section className="card incident" data-testid="queue-incident">
      <h2>Queue incident</h2>
      <p className="muted small">Find queued messages by sender, recipient domain or subject on many hosts at once, then delete them.</p>
      <form className="inline-form" onSubmit={find}>
        <label>
          Sender contains
          <input value={sender} onChange={(e) => setSender(e.target.value)} placeholder="spammer@hacked.example" data-testid="incident-sender" />
        </label>
        <label>
          Recipient domain
          <input value={recipientDomain} onChange={(e) => setRecipientDomain(e.target.value)} placeholder="gmail.com" data-testid="incident-domain" />
        </label>
        <label>
          Subject contains
          <input value={subject} onChange={(e) => setSubject(e.target.value)} data-testid="incident-subject" />
        </label>
        <label className="narrow">
          On
          <select value={scope} onChange={(e) => setScope(e.target.value as 'all' | 'groups')} data-testid="incident-scope">
            <option value="all">all {hostCount} hosts</option>
            <option value="groups" disabled={allGroups.length === 0}>
              groups…
            </option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={!ready || action.busy} data-testid="incident-find">
          {action.busy && !confirming ? 'Searching…' : 'Find'}
        </button>
      </form>
      {scope === 'groups' && (
        <p className="group-picks">
          {allGroups.map((g) => (
            <label key={g} className="inline-label">
              <input type="checkbox" checked={groups.includes(g)} onChange={(e) => setGroups(e.target.checked ? [...groups, g] : groups.filter((x) => x !== g))} />
              {g}
            </label>
          ))}
        </p>
      )}
      <ErrorBox error={action.error} />
      {shown && (
        <div data-testid="incident-result" data-total={shown.total}>
          <p>
            {purged ? (
              <strong className="good" data-testid="incident-deleted">
                Deleted {purged.deleted} of {purged.total} messages.
              </strong>
            ) : (
              <>
                <strong>{shown.total}</strong> matching messages on {shown.hosts.filter((m) => m.count > 0).length} of {shown.hosts.length} hosts.
              </>
            )}
          </p>
          <table className="compact">
            <thead>
              <tr>
                <th>Host</th>
                <th className="num">Found</th>
                {purged && <th className="num">Deleted</th>}
                <th></th>
              </tr>
            </thead>
            <tbody>
              {shown.hosts.map((m) => (
                <tr key={m.hostId} data-testid="incident-host" data-host-name={m.name} data-count={m.count} data-deleted={m.deleted}>
                  <td>{m.name}</td>
                  <td className="num">{m.count}</td>
                  {purged && <td className="num">{m.deleted ?? 0}</td>}
                  <td className={m.error ? 'bad' : 'muted'}>{m.error ?? (m.connected ? '' : 'offline')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {canPurge && !purged && found && found.result.total > 0 && !confirming && (
            <div className="actions">
              <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="incident-delete">
                Delete {found.result.total} messages
              </button>
            </div>
          )}
          {confirming && found && (
            <ConfirmBox confirmLabel={`Delete ${found.result.total} messages`} busy={action.busy} onConfirm={purge} onCancel={() => setConfirming(false)} testId="incident-confirm">
              Delete every queued message that matches on {found.result.hosts.filter((m) => m.count > 0).length} hosts? Each host stops qmail-send, removes the
              messages' files and starts it again. Messages that arrived since the search and match are deleted too. This cannot be undone.
            </ConfirmBox>
          )}
        </div>
      )}
    </section>
  );
}
