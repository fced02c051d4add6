import { constants } from 'node:fs';
import { lstat, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createExclusiveTemp, openRegularNoFollow, type OwnerCheck } from '../safe-fs';
import { InterruptedMboxDelete, MessageNotFound } from './errors';
import { flockHandle } from './flock';
import { MboxScanner, scanMbox, type MboxMessage, type ScannedMessage } from './mbox';

/**
 * Reading and editing an mbox file qmail-local delivers to (QMAIL.md §6). Reads take no lock: they
 * stop at the size the file had when opened, so a delivery in progress can at worst show up as a
 * short last message (whose id then matches nothing). Deletes take the lock qmail-local takes.
 *
 * The mbox and its directory belong to the mailbox's user, and we may run as root: the mbox is
 * opened with O_NOFOLLOW and must be a regular file of `guard.uid` (fstat of the descriptor), so a
 * symlink or a hard link to another user's file is refused (UnsafeFile), never read or rewritten.
 */

const CHUNK = 64 * 1024;
/** qmail-local gives up after 30 s on the lock (temp failure, retried later); we wait longer for it. */
const DEFAULT_LOCK_SECONDS = 60;
const MARKER = '.qfleet-del';

async function* chunks(handle: FileHandle, start: number, end: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = start;
  while (pos < end) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, end - pos), pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    // The scanner keeps slices of partial lines: hand it a copy, the buffer is reused.
    yield Buffer.from(buf.subarray(0, bytesRead));
  }
}

async function scanHandle(
  handle: FileHandle,
  options: { collect?: boolean; hash?: boolean },
  onMessage: (m: ScannedMessage) => void,
): Promise<{ size: number; preamble: number }> {
  const { size } = await handle.stat();
  const scanner = new MboxScanner(onMessage, options);
  for await (const chunk of chunks(handle, 0, size)) scanner.feed(chunk);
  scanner.end();
  return { size, preamble: scanner.preamble };
}

/** Opens the mbox itself: no symlink, a regular file of the guard's uid. */
async function withFile<T>(file: string, guard: OwnerCheck, fn: (handle: FileHandle) => Promise<T>, flags: number = constants.O_RDONLY): Promise<T> {
  const { handle } = await openRegularNoFollow(file, guard, flags);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/** The messages of an mbox, newest (last appended) first. Streams the file; keeps no body. */
export async function listMbox(file: string, guard: OwnerCheck = {}): Promise<MboxMessage[]> {
  const out: MboxMessage[] = [];
  await withFile(file, guard, (h) => scanHandle(h, {}, (m) => out.push(m)));
  return out.reverse();
}

/** Size and count as Webmin reports them: the file size, and the number of From_ separator lines (QMAIL.md §6). */
export async function mboxStats(file: string, guard: OwnerCheck = {}): Promise<{ size: number; count: number }> {
  let count = 0;
  const { size } = await withFile(file, guard, (h) => scanHandle(h, { hash: false }, () => count++));
  return { size, count };
}

/** Every message with its unquoted bytes, in file order, one at a time (for searching a large mbox). */
export async function* mboxMessages(file: string, guard: OwnerCheck = {}): AsyncGenerator<{ message: MboxMessage; raw: Buffer }> {
  const { handle } = await openRegularNoFollow(file, guard);
  try {
    const { size } = await handle.stat();
    const ready: ScannedMessage[] = [];
    const scanner = new MboxScanner((m) => ready.push(m), { collect: true });
    const drain = function* () {
      while (ready.length) {
        const { raw, ...message } = ready.shift() as ScannedMessage;
        yield { message, raw: raw as Buffer };
      }
    };
    for await (const chunk of chunks(handle, 0, size)) {
      scanner.feed(chunk);
      yield* drain();
    }
    scanner.end();
    yield* drain();
  } finally {
    await handle.close();
  }
}

/** One message, mboxrd quoting undone (`>From ` → `From `, one level), without From_ line or added blank line. */
export async function readMboxMessage(file: string, id: string, guard: OwnerCheck = {}): Promise<Buffer> {
  return withFile(file, guard, async (handle) => {
    let found: MboxMessage | undefined;
    await scanHandle(handle, { hash: true }, (m) => {
      if (m.id === id) found = m;
    });
    if (!found) throw new MessageNotFound(file, id);
    const bytes = Buffer.alloc(found.length);
    await handle.read(bytes, 0, found.length, found.offset);
    return scanMbox(bytes, { collect: true })[0].raw as Buffer;
  });
}

export interface DeleteResult {
  /** Ids removed now, or already gone (ENOENT for a Maildir file). */
  deleted: string[];
  /** Ids that name no message. */
  missing: string[];
}

/**
 * Deletes messages from an mbox in place, under the lock qmail-local takes, so that a delivery
 * arriving meanwhile is never lost (QMAIL.md §6 "qmail-local flocks the file").
 *
 * Under flock(LOCK_EX) on the mbox itself (not a `.lock` file: qmail-local never looks at one):
 * 1. re-read the file and find the messages by id (the ids hash the message bytes, so what the
 *    caller listed is what goes, even if the file changed since; Webmin checks `From ` boundaries
 *    against its index for the same reason, QMAIL.md §7);
 * 2. write the kept bytes from the first deleted message on to `FILE.qfleet-del.tmp` in the same
 *    directory, fsync, and rename it to `FILE.qfleet-del.<offset>.<old length>`: from here on a
 *    complete copy of the new tail exists on disk;
 * 3. copy that tail back into the mbox at `<offset>`, truncate, fsync, remove the copy.
 *
 * Why copy back instead of renaming the new file over the mbox: qmail-local opens the mbox
 * (O_APPEND) *before* it waits for the lock. A delivery waiting on us holds the old inode; after a
 * rename it would lock and append to the unlinked old file and the message would be lost. Writing
 * into the same inode keeps the file the waiting writer locks next, and O_APPEND puts its message
 * after our truncated end. It also keeps the owner, mode and hard links of the mbox.
 *
 * qmail-local waits 30 s for the lock and then defers the delivery (retried later, not lost), so
 * only the tail after the first deleted message is rewritten, to keep the lock short.
 */
export async function deleteMboxMessages(
  file: string,
  ids: readonly string[],
  options: { lockTimeoutSeconds?: number; guard?: OwnerCheck } = {},
): Promise<DeleteResult> {
  const wanted = new Set(ids);
  for (let attempt = 1; ; attempt++) {
    const { handle } = await openRegularNoFollow(file, options.guard, constants.O_RDWR);
    try {
      await flockHandle(handle, file, 'exclusive', options.lockTimeoutSeconds ?? DEFAULT_LOCK_SECONDS);
      // Another program may have renamed a new file over the mbox while we waited: lock that one.
      if (attempt < 5 && !(await isCurrentFile(handle, file))) continue;
      return await deleteLocked(handle, file, wanted);
    } finally {
      // Closing our descriptor is what releases the flock (the flock(1) child has long exited).
      await handle.close();
    }
  }
}

async function isCurrentFile(handle: FileHandle, file: string): Promise<boolean> {
  const [held, named] = await Promise.all([handle.stat(), lstat(file).catch(() => null)]);
  return named !== null && held.ino === named.ino && held.dev === named.dev;
}

async function deleteLocked(handle: FileHandle, file: string, wanted: Set<string>): Promise<DeleteResult> {
  await refuseAfterInterruptedDelete(file);

  const drop: MboxMessage[] = [];
  const { size } = await scanHandle(handle, {}, (m) => {
    if (wanted.has(m.id)) drop.push(m);
  });
  const result: DeleteResult = {
    deleted: drop.map((m) => m.id),
    missing: [...wanted].filter((id) => !drop.some((m) => m.id === id)),
  };
  if (!drop.length) return result;

  const from = drop[0].offset;
  const keep: Array<[number, number]> = [];
  let pos = from;
  for (const m of drop) {
    if (m.offset > pos) keep.push([pos, m.offset]);
    pos = m.offset + m.length;
  }
  if (pos < size) keep.push([pos, size]);

  const marker = `${file}${MARKER}.${from}.${size}`;
  let tailLength = 0;
  // The directory is the user's: a new file under a random name (O_EXCL|O_NOFOLLOW), 0600 as a
  // copy of someone's mail must be (qmail-local's umask 077). The copy is read back through the
  // same descriptor, never reopened by a name the user could point elsewhere meanwhile.
  const tmp = await createExclusiveTemp(dirname(file), `${basename(file)}${MARKER}.tmp.`, 0o600);
  const copy = tmp.handle;
  try {
    for (const [start, end] of keep) {
      for await (const chunk of chunks(handle, start, end)) {
        await writeAll(copy, chunk, tailLength);
        tailLength += chunk.length;
      }
    }
    await copy.sync();
    await rename(tmp.path, marker);
    await syncDir(dirname(file));

    let written = 0;
    for await (const chunk of chunks(copy, 0, tailLength)) {
      await writeAll(handle, chunk, from + written);
      written += chunk.length;
    }
  } finally {
    await copy.close();
  }
  await handle.truncate(from + tailLength);
  await handle.sync();
  await unlink(marker);
  return result;
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** A `FILE.qfleet-del.<offset>.<length>` left behind means the mbox may hold a half-copied tail. */
async function refuseAfterInterruptedDelete(file: string): Promise<void> {
  const prefix = `${basename(file)}${MARKER}.`;
  const left = (await readdir(dirname(file))).find((n) => n.startsWith(prefix) && /^\d+\.\d+$/.test(n.slice(prefix.length)));
  if (left) throw new InterruptedMboxDelete(file, join(dirname(file), left));
}
