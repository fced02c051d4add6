import type { ServiceState } from '@qfleet/protocol';
import { run } from './exec-file';
import { pidFileState, signalPidFile, waitForPidFile } from './pidfile-backend';
import type { ServiceBackend } from './service-backend';

// `stop` waits for qmail-send's TERM in some scripts, which can take over a minute (QMAIL.md §5).
const SCRIPT_TIMEOUT_MS = 150_000;

/**
 * qmail-send started by an init script (`/etc/init.d/qmail start|stop|restart`). Scripts
 * differ in what else they offer, so HUP and ALRM go to the pid in `pidfile`, and without one
 * they are refused, and whether qmail-send runs is unknown (LWQ's `qmailctl stop` even returns
 * before qmail-send has exited, QMAIL.md §5).
 */
export function initScriptBackend(script: string, pidfile?: string): ServiceBackend {
  const call = async (verb: 'start' | 'stop' | 'restart') => {
    await run(script, [verb], { timeoutMs: SCRIPT_TIMEOUT_MS });
  };
  const signal = (sig: NodeJS.Signals) => {
    if (!pidfile) throw new Error(`cannot send ${sig} to qmail-send: --service init has no --pidfile`);
    return signalPidFile(pidfile, sig);
  };
  const state = async (): Promise<ServiceState> =>
    pidfile ? pidFileState(pidfile) : { running: null, since: null, pid: null, detail: `${script}: no --pidfile, so whether qmail-send runs is unknown` };
  return {
    name: `init ${script}`,
    isRunning: async () => (await state()).running,
    signal: async (kind) => (kind === 'hup' ? signal('SIGHUP') : call('restart')),
    control: async (action) => (action === 'alrm' ? signal('SIGALRM') : call(action)),
    async waitFor(want, timeoutMs) {
      // Never claim it is down without seeing it: a queue delete relies on this.
      if (!pidfile) throw new Error(`cannot tell whether qmail-send is ${want}: --service init has no --pidfile`);
      await waitForPidFile(pidfile, want, timeoutMs);
    },
    state,
  };
}
