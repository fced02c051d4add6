import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceState } from '@qfleet/protocol';
import { run } from './exec-file';
import type { ServiceBackend } from './service-backend';

const POLL_MS = 250;

type Request = 'hup' | 'restart' | 'stop' | 'start' | 'alrm';

/**
 * The systemctl argv for each request. notqmail's unit runs qmail-start, which execs
 * qmail-send (QMAIL.md §5), so the unit's main process is qmail-send: signals go to it alone
 * (`--kill-whom=main`), never to qmail-lspawn, qmail-rspawn, qmail-clean or the logger, which
 * do not catch HUP or ALRM. stop and restart are queued (`--no-block`), since TERM can take
 * over a minute (QMAIL.md §5), and `waitFor` watches; start waits, so a failure comes back
 * with systemd's own message.
 */
export function systemctlArgv(request: Request, unit: string): string[] {
  switch (request) {
    case 'start':
      return ['start', unit];
    case 'stop':
    case 'restart':
      return ['--no-block', request, unit];
    case 'hup':
      return ['kill', '--kill-whom=main', '-s', 'HUP', unit];
    case 'alrm':
      return ['kill', '--kill-whom=main', '-s', 'ALRM', unit];
  }
}

export const SYSTEMCTL_SHOW_PROPERTIES = 'ActiveState,MainPID,ActiveEnterTimestamp,InactiveEnterTimestamp';

/** `systemctl show -p …` prints `Key=value` lines, in systemd's order rather than the one asked for. */
export function parseSystemctlShow(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/**
 * systemd's timestamps read `Wed 2026-11-25 17:30:17 UTC` in the host's time zone; empty or
 * `n/a` when it never happened. A zone other than UTC/GMT is taken as the agent's local zone,
 * which is the one systemctl printed it in.
 */
export function parseSystemdTimestamp(value: string | undefined): Date | null {
  const m = /^(?:\w+ )?(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?: (\S+))?$/.exec((value ?? '').trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const zone = m[7];
  return zone === 'UTC' || zone === 'GMT' ? new Date(Date.UTC(y, mo - 1, d, h, mi, s)) : new Date(y, mo - 1, d, h, mi, s);
}

/** ActiveState: active/reloading/deactivating mean qmail-send still runs; inactive/failed mean not; activating is not yet. */
export function systemdState(props: Record<string, string>, unit: string): ServiceState {
  const active = props['ActiveState'] ?? '';
  const running = ['active', 'reloading', 'deactivating'].includes(active) ? true : ['inactive', 'failed', 'activating'].includes(active) ? false : null;
  const pid = Number(props['MainPID']);
  const since = parseSystemdTimestamp(running ? props['ActiveEnterTimestamp'] : props['InactiveEnterTimestamp']);
  return {
    running,
    since: since?.toISOString() ?? null,
    pid: running && Number.isInteger(pid) && pid > 0 ? pid : null,
    detail: `${unit}: ActiveState=${active || 'unknown'} MainPID=${props['MainPID'] ?? '?'}`,
  };
}

/** qmail-send as a systemd unit (notqmail 1.08's `qmail.service`, QMAIL.md §5). */
export function systemdBackend(unit = 'qmail', systemctl = 'systemctl'): ServiceBackend {
  const state = async () => {
    const { stdout } = await run(systemctl, ['show', '-p', SYSTEMCTL_SHOW_PROPERTIES, unit], { timeoutMs: 10_000 });
    return systemdState(parseSystemctlShow(stdout), unit);
  };
  const call = async (request: Request) => {
    await run(systemctl, systemctlArgv(request, unit), { timeoutMs: 120_000 });
  };
  return {
    name: `systemd ${unit}`,
    isRunning: async () => (await state()).running,
    signal: call,
    control: call,
    async waitFor(want, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await state();
        if (s.running === (want === 'up')) return;
        if (want === 'up' && s.detail.includes('ActiveState=failed')) throw new Error(`${unit} failed to start (${s.detail}); see journalctl -u ${unit}`);
        if (Date.now() >= deadline) throw new Error(`${unit} is not ${want} after ${Math.round(timeoutMs / 1000)} s (${s.detail})`);
        await sleep(POLL_MS);
      }
    },
    state,
  };
}
