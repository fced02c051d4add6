import fs from 'node:fs';

/**
 * CPU time and resident memory of another process, from /proc (process.cpuUsage only sees
 * the calling process). Linux only; elsewhere the figures are null.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Clock ticks per second: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

export function rssMiB(pid: number): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU used by `pids` between start() and stop(), as a share of one core. */
export function cpuMeter(pids: number[]) {
  const sum = () => pids.reduce((s, p) => s + (cpuSeconds(p) ?? 0), 0);
  const t0 = Date.now();
  const c0 = sum();
  return {
    stop(): { cpuSec: number; wallSec: number; percentOfCore: number } {
      const wallSec = (Date.now() - t0) / 1000;
      const cpuSec = sum() - c0;
      return { cpuSec, wallSec, percentOfCore: wallSec > 0 ? (cpuSec / wallSec) * 100 : 0 };
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** The soft limit on open files of this process (children inherit it), from /proc/self/limits. */
export function openFilesLimit(): number | null {
  try {
    const m = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+|unlimited)/);
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : null;
  } catch {
    return null;
  }
}

/** The hard limit on open files (the most a child may raise its soft limit to), from /proc/self/limits. */
export function openFilesHardLimit(): number | null {
  try {
    const m = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(?:\d+|unlimited)\s+(\d+|unlimited)/);
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : null;
  } catch {
    return null;
  }
}
