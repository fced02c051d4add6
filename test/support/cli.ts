import path from 'node:path';
import { spawn } from 'node:child_process';
import { ADMIN_TOKEN } from './controller';
import { REPO } from './processes';

export const CLI_MAIN = path.join(REPO, 'dist', 'apps', 'cli', 'main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `qfleet` CLI against a controller with QFLEET_URL/QFLEET_TOKEN set; standard
 * input is `input`, or closed; standard output is a pipe (so a watch prints lines). A run
 * that never ends is killed after 90 s and fails its test with what it printed.
 */
export function runCli(url: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { PATH: process.env['PATH'], QFLEET_URL: url, QFLEET_TOKEN: ADMIN_TOKEN, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
