import { execFileSync } from 'node:child_process';
import os from 'node:os';

/**
 * The machine a figure was taken on, printed with it: the date, the cores (`nproc`) and the load
 * (`uptime`). Shared machines make figures indicative; the load says how much.
 */
export function machineLine(): string {
  const run = (cmd: string) => {
    try {
      return execFileSync(cmd, { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const cores = run('nproc') || String(os.cpus().length);
  const load = run('uptime').match(/load averages?: (.*)$/)?.[1] ?? os.loadavg().map((l) => l.toFixed(2)).join(', ');
  return `${new Date().toISOString()}; nproc ${cores}; load ${load}; ${os.cpus()[0]?.model ?? 'unknown cpu'}; node ${process.version}`;
}
