import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

export interface InjectResult {
  /** qmail-inject's exit code: 0 queued, 100 permanent error, 111 temporary (qmail-inject(8)) */
  exitCode: number;
  stderr: string;
}

/** Runs `qmail-inject ARGS` with MESSAGE on stdin. Tests pass their own. */
export type Inject = (args: readonly string[], message: Buffer) => Promise<InjectResult>;

/**
 * The qmail home: QFLEET_QMAIL_HOME, else the parent of the current directory, because
 * qmail-local runs `|` lines in the alias user's home, `<qmail home>/alias` (QMAIL.md §3).
 */
export function qmailHomeFrom(env: NodeJS.ProcessEnv, cwd: string): string {
  return env['QFLEET_QMAIL_HOME'] || dirname(cwd);
}

/**
 * qmail-inject's arguments for sending to RECIPIENTS with envelope sender SENDER.
 * `-a`: only the arguments are recipients, never the To/Cc of the message (else a forwarded
 * message would go back to everyone in its header). `-f` and its value are two arguments,
 * because an empty sender glued to the flag (`-f`) would make getopt take the next
 * argument as the sender. `--` ends the options, so a recipient starting with `-` is not one.
 */
export function injectArgs(sender: string, recipients: readonly string[]): string[] {
  return ['-a', '-f', sender, '--', ...recipients];
}

/**
 * The real `<qmail home>/bin/qmail-inject`. QMAILINJECT and QMAILMFTFILE are dropped so that
 * the system's defaults cannot delete our From or Message-ID (qmail-inject(8)).
 */
export function execInject(qmailHome: string, env: NodeJS.ProcessEnv = process.env): Inject {
  const program = join(qmailHome, 'bin', 'qmail-inject');
  const childEnv = { ...env };
  delete childEnv['QMAILINJECT'];
  delete childEnv['QMAILMFTFILE'];
  return (args, message) =>
    new Promise((resolve) => {
      const child = spawn(program, args, { env: childEnv, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      // qmail-inject may exit before reading all of stdin (a bad address); its exit code tells why.
      child.stdin.on('error', () => undefined);
      child.on('error', (e) => resolve({ exitCode: 111, stderr: `${program} could not start: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
      child.on('close', (code, signal) => resolve({ exitCode: code ?? 111, stderr: signal ? `${stderr}killed by ${signal}` : stderr }));
      child.stdin.end(message);
    });
}
