import { useState, type FormEvent } from 'react';
import { api, type Action, type FleetActionResult } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { useAction } from '../hooks';
import { useCan } from '../session';
import { ACTION_INFO, ACTIONS, ServiceStateLine } from './ServiceActions';

/** One action on the hosts whose names match a pattern (`mx*.eu.example.net`), each host's answer shown; operators only. */
export function FleetActions() {
  const canAct = useCan('operator');
  const [pattern, setPattern] = useState('');
  const [action, setAction] = useState<Action>('flush');
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState<FleetActionResult | undefined>(undefined);
  const run = useAction();
  if (!canAct) return null;

  const ask = (e: FormEvent) => {
    e.preventDefault();
    setResult(undefined);
    setAsking(true);
  };
  const confirm = async () => {
    const r = await run.run(() => api.runFleetAction({ names: [pattern.trim()] }, action));
    setAsking(false);
    if (r) setResult(r);
  };

  return (
    <section className="card" data-testid="fleet-actions">
      <h2>qmail-send on several hosts</h2>
      <form className="filters" onSubmit={ask}>
        <label>
          Host names (* and ?)
          <input value={pattern} onChange={(e) => setPattern(e.target.value)} placeholder="mx*.eu.example.net" data-testid="fleet-action-pattern" />
        </label>
        <label>
          Action
          <select value={action} onChange={(e) => setAction(e.target.value as Action)} data-testid="fleet-action-action">
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {ACTION_INFO[a].label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!pattern.trim() || run.busy} data-testid="fleet-action-run">
          Run…
        </button>
      </form>
      {asking && (
        <ConfirmBox confirmLabel={`${ACTION_INFO[action].label} on the matching hosts`} busy={run.busy} onConfirm={confirm} onCancel={() => setAsking(false)} testId="fleet-action-confirm">
          {ACTION_INFO[action].label} qmail-send on every host named <code>{pattern.trim()}</code>? This {ACTION_INFO[action].effect}.
        </ConfirmBox>
      )}
      <ErrorBox error={run.error} />
      {result && (
        <div data-testid="fleet-action-result" data-ok={result.ok} data-failed={result.failed}>
          <p>
            {ACTION_INFO[result.action].label}: {result.ok} done, <span className={result.failed ? 'bad' : ''}>{result.failed} failed</span>
          </p>
          <table className="compact">
            <tbody>
              {result.hosts.map((h) => (
                <tr key={h.hostId} data-testid="fleet-action-host" data-host-name={h.name} data-ok={String(h.ok)}>
                  <td>{h.name}</td>
                  <td>{h.ok && h.result ? <ServiceStateLine state={h.result.state} testId="fleet-action-state" /> : <span className="bad">{h.error}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
