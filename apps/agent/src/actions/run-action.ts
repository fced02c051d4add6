import type { Action, ActionResult, ServiceState } from '@qfleet/protocol';
import { serviceState, type ServiceBackend } from '../post-steps/service-backend';
import { RequestFailure, type RequestContext } from '../requests/context';
import { flushQueue } from '../requests/queue-delete';

/** The requests' context (the backend, the qmail home for qmail-tcpok, the log, serialize). */
export type ActionContext = RequestContext & {
  /** how long to wait for qmail-send to go up or down (defaults below) */
  timeouts?: { upMs?: number; downMs?: number };
};

const UP_TIMEOUT_MS = 60_000;
// TERM lets qmail-send finish the deliveries in progress, which can take over a minute (QMAIL.md §5).
const DOWN_TIMEOUT_MS = 120_000;
const POLL_MS = 200;

const hasBackend = (service: ServiceBackend) => service.name !== 'none';

const describe = (s: ServiceState) => (s.running ? `up${s.pid ? ` (pid ${s.pid})` : ''}` : s.running === false ? 'down' : 'state unknown');

/**
 * One of the fixed actions (DESIGN.md "The agent: applying safely"), as LWQ's qmailctl does
 * it (QMAIL.md §5): start `svc -u`, stop `svc -d`, restart `svc -t`, reload `svc -h`, flush
 * `qmail-tcpok` then `svc -a`, or the same through another backend. Answers once the action
 * took effect (up, down, a new pid), with the state then and the steps taken.
 */
export async function runAction(ctx: ActionContext, action: Action): Promise<ActionResult> {
  const { service } = ctx;
  if (!hasBackend(service)) throw new RequestFailure('unavailable', `cannot ${action} qmail-send: no service backend is configured on this host (--service)`);
  const upMs = ctx.timeouts?.upMs ?? UP_TIMEOUT_MS;
  const downMs = ctx.timeouts?.downMs ?? DOWN_TIMEOUT_MS;
  const steps: string[] = [];
  const started = Date.now();
  const took = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  /** Waits unless the backend cannot tell (an init script without a pid file): then says so. */
  const settle = async (want: 'up' | 'down', timeoutMs: number) => {
    if ((await serviceState(service)).running === null) {
      steps.push(`cannot tell whether qmail-send is ${want}`);
      return;
    }
    await service.waitFor(want, timeoutMs);
    steps.push(`${describe(await serviceState(service))} after ${took()}`);
  };

  const before = await serviceState(service);
  switch (action) {
    case 'start':
      await service.control('start');
      steps.push('start');
      await settle('up', upMs);
      break;
    case 'stop':
      await service.control('stop');
      steps.push('stop');
      await settle('down', downMs);
      break;
    case 'restart':
      if (before.running === false) {
        // svc -t restarts nothing that is down; qmailctl's restart would leave it down too.
        steps.push('was down');
        await service.control('start');
        steps.push('start');
        await settle('up', upMs);
        break;
      }
      await service.signal('restart');
      steps.push('restart');
      await waitForNewPid(service, before.pid, downMs + upMs, steps);
      steps.push(`${describe(await serviceState(service))} after ${took()}`);
      break;
    case 'reload':
      await service.signal('hup');
      steps.push('hup');
      break;
    case 'flush': {
      const flushed = await flushQueue(ctx);
      // The service backend exists here, so only qmail-tcpok can have been skipped.
      steps.push(flushed.ran.includes('qmail-tcpok') ? 'qmail-tcpok' : 'qmail-tcpok skipped (not installed)', 'alrm');
      break;
    }
  }
  const state = await serviceState(service);
  ctx.log(`action ${action} via ${service.name}: ${steps.join(', ')}; now ${state.detail}`);
  return { action, ok: true, state, steps };
}

/** After a restart request, until it runs again under another pid (supervise starts a new qmail-send). */
async function waitForNewPid(service: ServiceBackend, oldPid: number | null, timeoutMs: number, steps: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await serviceState(service);
    if (s.running === null) {
      steps.push('cannot tell whether qmail-send is up again');
      return;
    }
    if (s.running && (oldPid === null || (s.pid !== null && s.pid !== oldPid))) return;
    if (Date.now() >= deadline) throw new Error(`qmail-send did not come back under a new pid within ${Math.round(timeoutMs / 1000)} s (${s.detail})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
