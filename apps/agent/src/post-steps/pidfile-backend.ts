import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceState } from '@qfleet/protocol';
import type { ServiceBackend } from './service-backend';

const POLL_MS = 200;
// qmail-send finishes the deliveries in progress before it exits on TERM (QMAIL.md §5).
const RESTART_STOP_TIMEOUT_MS = 120_000;

/** The pid in a pid file: one decimal number, maybe followed by a newline; null when absent or not a pid. */
export async function readPidFile(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  const m = text === null ? null : /^\s*(\d+)\s*$/.exec(text);
  const pid = m ? Number(m[1]) : 0;
  return pid > 0 ? pid : null;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else), a zombie counting as gone. */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Linux: field 3 of /proc/<pid>/stat, after the parenthesised name, is Z for a zombie.
  const procStat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return !procStat || !/\)\s+Z\s/.test(procStat);
}

/** qmail-send's state as a pid file tells it; `since` is when the pid file was written. */
export async function pidFileState(file: string): Promise<ServiceState> {
  const pid = await readPidFile(file);
  if (pid === null) return { running: false, since: null, pid: null, detail: `${file}: no pid` };
  if (!(await processAlive(pid))) return { running: false, since: null, pid: null, detail: `${file}: pid ${pid} is not running` };
  const written = await stat(file).then((s) => s.mtime.toISOString(), () => null);
  return { running: true, since: written, pid, detail: `${file}: pid ${pid} running` };
}

/** Polls the pid file until qmail-send is up or down, or rejects after timeoutMs with what it saw. */
export async function waitForPidFile(file: string, want: 'up' | 'down', timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await pidFileState(file);
    if (s.running === (want === 'up')) return;
    if (Date.now() >= deadline) throw new Error(`qmail-send is not ${want} after ${Math.round(timeoutMs / 1000)} s (${s.detail})`);
    await sleep(POLL_MS);
  }
}

/** Sends a signal to the pid in the file; an absent or dead pid is an error that names the file. */
export async function signalPidFile(file: string, sig: NodeJS.Signals): Promise<void> {
  const pid = await readPidFile(file);
  if (pid === null || !(await processAlive(pid))) throw new Error(`qmail-send is not running (${file}: ${pid === null ? 'no pid' : `pid ${pid} is gone`}); ${sig} not sent`);
  process.kill(pid, sig);
}

/** Runs the start command detached, so that qmail-send outlives a restart of the agent; resolves once it was spawned. */
function spawnDetached(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore' });
    child.once('error', (e) => reject(new Error(`${argv[0]} could not start: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/**
 * qmail-send found through a pid file that its boot script writes (e.g. `echo $$ > F; exec
 * qmail-start …`). HUP, ALRM and TERM go straight to that pid (QMAIL.md §5). Starting it needs
 * startCommand, a fixed argv from the agent's own --start-command flag, never from the
 * controller (DESIGN.md "The agent: applying safely").
 */
export function pidfileBackend(pidfile: string, startCommand?: string[]): ServiceBackend {
  const start = async () => {
    if (!startCommand?.length) throw new Error('cannot start qmail-send: --service pidfile has no --start-command');
    if ((await pidFileState(pidfile)).running) return;
    await spawnDetached(startCommand);
  };
  return {
    name: `pidfile ${pidfile}`,
    isRunning: async () => (await pidFileState(pidfile)).running,
    async signal(kind) {
      if (kind === 'hup') return signalPidFile(pidfile, 'SIGHUP');
      // Check before the TERM, so that a restart never ends as a stop.
      if (!startCommand?.length) throw new Error('cannot restart qmail-send: --service pidfile has no --start-command');
      await signalPidFile(pidfile, 'SIGTERM');
      await waitForPidFile(pidfile, 'down', RESTART_STOP_TIMEOUT_MS);
      await start();
    },
    async control(action) {
      if (action === 'start') return start();
      return signalPidFile(pidfile, action === 'stop' ? 'SIGTERM' : 'SIGALRM');
    },
    waitFor: (want, timeoutMs) => waitForPidFile(pidfile, want, timeoutMs),
    state: () => pidFileState(pidfile),
  };
}
