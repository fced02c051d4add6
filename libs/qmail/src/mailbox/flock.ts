import { spawn } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { MailboxLockFailed, MailboxLocked } from './errors';

/** Exit status we ask flock(1) to use for "timed out", to tell it apart from its other failures. */
const TIMED_OUT = 75;

/**
 * Takes flock() on an open file, the lock qmail-local takes on an mbox: its `mailfile()` opens the
 * file O_APPEND and calls `lock_ex(fd)`, which is `flock(fd, LOCK_EX)` wherever the build finds
 * flock() (`hasflock.h`, always on Linux and the BSDs; `lockf()` only on systems without it).
 * See notqmail qmail-local.c `mailfile()` and lock_ex.c.
 *
 * Node has no flock(), so flock(1) from util-linux does it for us on *our* open file description:
 * the descriptor is handed to the child as its fd 3 and `flock -x 3` locks it. A flock() lock
 * belongs to the open file description, not to the process, so it stays held after the child
 * exits, for as long as `handle` is open; closing `handle` releases it (also when this process
 * dies, unlike a `.lock` file). It is the very kernel lock a concurrent qmail-local's flock()
 * waits for, on the same inode; no helper script runs while the lock is held.
 */
export async function flockHandle(
  handle: FileHandle,
  file: string,
  mode: 'exclusive' | 'shared',
  timeoutSeconds: number,
): Promise<void> {
  const args = [mode === 'exclusive' ? '-x' : '-s', '-w', String(timeoutSeconds), '-E', String(TIMED_OUT), '3'];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'pipe', handle.fd] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err) => reject(new MailboxLockFailed(file, err.message)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else if (code === TIMED_OUT) reject(new MailboxLocked(file, timeoutSeconds));
      else reject(new MailboxLockFailed(file, stderr.trim() || `flock exited with ${code ?? signal}`));
    });
  });
}
