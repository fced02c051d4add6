import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const CONTROLLER_MAIN = path.join(REPO, 'dist', 'apps', 'controller', 'main.js');
/**
 * The node options the controller runs with (`npm start` in package.json; docs/operations.md):
 * a young generation of up to 64 MB, so the bursts of a rollout or group change at 10,000 hosts
 * (acks, reports, rows) are collected in fewer scavenges: GC fell from 22% to 14% of the
 * controller's busy time in a 10,000-host rollout. Tests and benchmarks run it the same way.
 */
export const CONTROLLER_NODE_ARGS = ['--max-semi-space-size=64'];
export const AGENT_MAIN = path.join(REPO, 'dist', 'apps', 'agent', 'main.js');

/** A child process whose output is kept, so a test can wait for a line instead of sleeping. */
export class Proc {
  readonly output: string[] = [];
  private readonly waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess, readonly name: string) {
    const onData = (buf: Buffer) => {
      for (const line of buf.toString().split('\n')) {
        if (!line) continue;
        this.output.push(line);
        if (process.env['QFLEET_TEST_VERBOSE']) process.stdout.write(`[${name}] ${line}\n`);
        for (const w of [...this.waiters]) {
          const m = line.match(w.re);
          if (m) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves on the first line (already printed or coming) that matches. */
  waitForLine(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const seen = this.output.map((l) => l.match(re)).find(Boolean);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms; output:\n${this.tail()}`)), timeoutMs);
      this.waiters.push({ re, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before printing ${re}; output:\n${this.tail()}`));
      });
    });
  }

  tail(n = 40): string {
    return this.output.slice(-n).join('\n');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.exited;
  }
}

export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv, name: string, nodeArgs: string[] = []): Proc {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Proc(child, name);
}

/** Polls until `check` returns a value that is not undefined/false: waiting for a state, not for a time. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
