import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceState } from '@qfleet/protocol';
import { run } from './exec-file';
import type { ServiceBackend } from './service-backend';

/** The svc flag for each request (QMAIL.md §5, "svc flags"): -d is TERM then CONT and no restart. */
const SVC_FLAG = { hup: '-h', restart: '-t', stop: '-d', start: '-u', alrm: '-a' } as const;

const POLL_MS = 200;

export interface Svstat {
  /** null: svstat printed something else (e.g. "unable to open supervise/ok") */
  running: boolean | null;
  pid: number | null;
  seconds: number | null;
  superviseRunning: boolean;
  /** `, normally up` / `, normally down` (the `down` file), `, paused`, `, want up|down` */
  normally: 'up' | 'down' | null;
  paused: boolean;
  want: 'up' | 'down' | null;
}

/**
 * What svstat prints after `DIR: ` (QMAIL.md §5): `up (pid N) S seconds` or `down S seconds`,
 * then optionally `, normally up|down`, `, paused`, `, want up|down`; or `supervise not running`.
 */
export function parseSvstat(text: string): Svstat {
  const t = text.trim();
  const base: Svstat = { running: null, pid: null, seconds: null, superviseRunning: true, normally: null, paused: false, want: null };
  if (t.startsWith('supervise not running')) return { ...base, running: false, superviseRunning: false };
  const up = /^up \(pid (\d+)\) (\d+) seconds?/.exec(t);
  const down = /^down (\d+) seconds?/.exec(t);
  if (!up && !down) return base;
  const normally = /, normally (up|down)/.exec(t)?.[1] as Svstat['normally'] | undefined;
  const want = /, want (up|down)/.exec(t)?.[1] as Svstat['want'] | undefined;
  return {
    ...base,
    running: !!up,
    pid: up ? Number(up[1]) : null,
    seconds: Number(up ? up[2] : down![1]),
    normally: normally ?? null,
    paused: /, paused/.test(t),
    want: want ?? null,
  };
}

/** daemontools' TAI64 label of the Unix epoch: 2^62 plus the 10 s TAI-UTC offset of 1970 (libtai tai_unix). */
const TAI64_UNIX_EPOCH = BigInt('4611686018427387914');

export interface SuperviseStatus {
  /** when the service last went up or down */
  since: Date;
  /** 0 when down */
  pid: number;
  paused: boolean;
  want: 'up' | 'down' | null;
}

/**
 * supervise/status, 18 bytes (QMAIL.md §5): TAI64N in bytes 0–11 (8-byte big-endian label,
 * 4-byte big-endian nanoseconds), the pid little-endian in 12–15, the paused flag in 16 and
 * the wanted state in 17 ('u', 'd' or 0 after `svc -o`).
 */
export function parseSuperviseStatus(buf: Uint8Array): SuperviseStatus {
  if (buf.length < 18) throw new Error(`supervise/status has ${buf.length} bytes, not 18`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const seconds = b.readBigUInt64BE(0) - TAI64_UNIX_EPOCH;
  const nanos = b.readUInt32BE(8);
  const want = b[17] === 0x75 ? 'up' : b[17] === 0x64 ? 'down' : null;
  return { since: new Date(Number(seconds) * 1000 + Math.floor(nanos / 1e6)), pid: b.readUInt32LE(12), paused: b[16] !== 0, want };
}

/** The state from svstat's words, made precise by supervise/status when it can be read. */
export function daemontoolsState(line: string, svstat: Svstat, status: SuperviseStatus | null, now = new Date()): ServiceState {
  if (svstat.running === null || !svstat.superviseRunning) return { running: svstat.running, since: null, pid: null, detail: line };
  // Read a moment after svstat: trust the file only if it still describes the same process.
  const same = status && (svstat.running ? status.pid === svstat.pid : status.pid === 0);
  const since = same ? status.since : new Date(now.getTime() - (svstat.seconds ?? 0) * 1000);
  return { running: svstat.running, since: since.toISOString(), pid: svstat.pid, detail: line };
}

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
    async state() {
      const now = new Date();
      const s = await status();
      const file = await readFile(path.join(serviceDir, 'supervise', 'status')).then(parseSuperviseStatus, () => null);
      return daemontoolsState(`${serviceDir}: ${s}`, parseSvstat(s), file, now);
    },
  };
}
