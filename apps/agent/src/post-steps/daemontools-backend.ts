import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './exec-file';
import type { ServiceBackend } from './service-backend';

/** The svc flag for each request (QMAIL.md §5, "svc flags"): -d is TERM then CONT and no restart. */
const SVC_FLAG = { hup: '-h', restart: '-t', stop: '-d', start: '-u', alrm: '-a' } as const;

const POLL_MS = 200;

/**
 * qmail-send under daemontools, as LWQ sets it up (QMAIL.md §5): `svc -h` is qmailctl's
 * reload, `svc -t` makes supervise restart it, `svc -d`/`svc -u` are qmailctl stop/start,
 * `svc -a` its flush, and `svstat` says whether it is up.
 * serviceDir is the qmail-send service directory, e.g. /service/qmail-send.
 */
export function daemontoolsBackend(serviceDir: string, bin = { svc: 'svc', svstat: 'svstat' }): ServiceBackend {
  /** `up (pid N) S seconds[, want down]`, `down S seconds[, normally up]` or `supervise not running`. */
  const status = async () => {
    // svstat exits 0 even when it cannot tell; the verdict is in the text (QMAIL.md §5).
    const { stdout } = await run(bin.svstat, [serviceDir], { timeoutMs: 10_000 });
    return stdout.trim().slice(serviceDir.length + 2);
  };
  const svc = async (flag: string) => {
    // svc only warns and still exits 0 when supervise is not reading its control FIFO.
    const { stderr } = await run(bin.svc, [flag, serviceDir], { timeoutMs: 10_000 });
    if (stderr.trim()) throw new Error(stderr.trim());
  };
  return {
    name: `daemontools ${serviceDir}`,
    async isRunning() {
      const s = await status();
      if (s.startsWith('up ')) return true;
      if (s.startsWith('down ') || s.startsWith('supervise not running')) return false;
      return null;
    },
    signal: (kind) => svc(SVC_FLAG[kind]),
    control: (action) => svc(SVC_FLAG[action]),
    async waitFor(state, timeoutMs) {
      // After svc -d, svstat says `up (pid N) …, want down` until qmail-send has really exited.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await status();
        if (s.startsWith(`${state} `)) return;
        if (s.startsWith('supervise not running')) throw new Error(`${serviceDir}: supervise not running`);
        if (Date.now() >= deadline) throw new Error(`${serviceDir} is not ${state} after ${Math.round(timeoutMs / 1000)} s (svstat: ${s})`);
        await sleep(POLL_MS);
      }
    },
  };
}
