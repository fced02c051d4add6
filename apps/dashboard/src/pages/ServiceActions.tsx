import { useState } from 'react';
import { api, type Action, type ActionResult, type ServiceState } from '../api';
import { ConfirmBox } from '../components/ConfirmBox';
import { ErrorBox } from '../components/ErrorBox';
import { when } from '../format';
import { useAction, usePolling } from '../hooks';
import { useCan } from '../session';

const STATE_POLL_MS = 10_000;

/** What each action does to qmail-send (QMAIL.md §5), said before it runs; a Record so every action of libs/protocol has one. */
export const ACTION_INFO: Record<Action, { label: string; effect: string }> = {
  start: { label: 'Start', effect: 'starts qmail-send; queued mail starts going out' },
  stop: { label: 'Stop', effect: 'stops qmail-send (TERM); no mail is delivered until it is started again, which can take a minute while deliveries finish' },
  restart: { label: 'Restart', effect: 'stops and starts qmail-send; deliveries in progress finish first' },
  reload: { label: 'Reload', effect: 'sends HUP: qmail-send rereads locals and virtualdomains' },
  flush: { label: 'Flush', effect: 'clears the remote-failure memory (qmail-tcpok) and sends ALRM: every deferred message is tried now' },
};
export const ACTIONS = Object.keys(ACTION_INFO) as Action[];

export function ServiceStateLine({ state, testId }: { state: ServiceState; testId: string }) {
  const running = state.running === null ? 'unknown' : state.running ? 'running' : 'stopped';
  return (
    <span data-testid={testId} data-running={running}>
      <strong className={state.running === null ? '' : state.running ? 'good' : 'warn'}>{running}</strong>
      {state.since && <span className="muted"> since {when(state.since)}</span>}
      {state.pid !== null && <span className="muted"> · pid {state.pid}</span>}
      <span className="muted small"> · {state.detail}</span>
    </span>
  );
}

/**
 * qmail-send on one host as its service backend reports it, with start/stop/restart/reload/flush
 * for operators: each asks first, then shows the state the backend reports once it took effect.
 */
export function ServiceActions({ hostId, hostName, connected }: { hostId: string; hostName: string; connected: boolean }) {
  const canAct = useCan('operator');
  const state = usePolling(() => api.serviceState(hostId), [hostId, connected], connected ? STATE_POLL_MS : undefined);
  const [asking, setAsking] = useState<Action | undefined>(undefined);
  const [done, setDone] = useState<ActionResult | undefined>(undefined);
  const run = useAction();

  const confirm = async () => {
    if (!asking) return;
    const result = await run.run(() => api.runAction(hostId, asking));
    setAsking(undefined);
    if (result) {
      setDone(result);
      void state.refresh();
    }
  };

  return (
    <section className="card" data-testid="service-card">
      <h2>qmail-send</h2>
      {!connected && <p className="muted">The agent is not connected: the service state and actions need it.</p>}
      {connected && <ErrorBox error={state.error} />}
      {connected && state.data && (
        <p>
          <ServiceStateLine state={state.data} testId="service-state" />
        </p>
      )}
      {canAct && connected && (
        <div className="actions" data-testid="service-actions">
          {ACTIONS.map((a) => (
            <button
              key={a}
              type="button"
              className="small-button"
              disabled={run.busy}
              onClick={() => {
                setDone(undefined);
                run.clearError();
                setAsking(a);
              }}
              data-testid={`service-${a}`}
              title={ACTION_INFO[a].effect}
            >
              {ACTION_INFO[a].label}
            </button>
          ))}
        </div>
      )}
      {asking && (
        <ConfirmBox confirmLabel={`${ACTION_INFO[asking].label} qmail-send`} busy={run.busy} onConfirm={confirm} onCancel={() => setAsking(undefined)} testId="service-confirm">
          {ACTION_INFO[asking].label} qmail-send on <strong>{hostName}</strong>? This {ACTION_INFO[asking].effect}.
        </ConfirmBox>
      )}
      <ErrorBox error={run.error} />
      {done && (
        <div className="notice" data-testid="service-result" data-action={done.action}>
          {ACTION_INFO[done.action].label} done: <ServiceStateLine state={done.state} testId="service-result-state" />
          {done.steps.length > 0 && <div className="muted small">steps: {done.steps.join(' → ')}</div>}
        </div>
      )}
    </section>
  );
}
