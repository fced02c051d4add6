import { execFile } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export class ExecFailure extends Error {
  constructor(
    readonly program: string,
    /** exit code, or null when killed by a signal or never started */
    readonly exitCode: number | null,
    readonly stderr: string,
    message: string,
    /** the errno code (ENOENT, EACCES) when the program could not start */
    readonly errno?: string,
  ) {
    super(message);
  }
}

/** execFile without a shell, as a promise whose failure says how the program ended. */
export function run(program: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: string | number; signal?: string | null };
      const detail = stderr.trim() || stdout.trim();
      if (typeof e.code === 'string') {
        return reject(new ExecFailure(program, null, stderr, `${program} could not start: ${e.code}`, e.code));
      }
      if (typeof e.code === 'number') {
        return reject(new ExecFailure(program, e.code, stderr, `${program} exited with code ${e.code}${detail ? `: ${detail}` : ''}`));
      }
      return reject(new ExecFailure(program, null, stderr, `${program} was killed by ${e.signal ?? 'a signal'}${detail ? `: ${detail}` : ''}`));
    });
  });
}
