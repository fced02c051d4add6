import { closeSync, constants, fdatasync, fsync, lstatSync, openSync, realpathSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { assertDirOwnedBySync, createExclusiveTempSync, openDirNoFollowSync, READ_NOFOLLOW, UnsafeFile } from '@qfleet/qmail';

/*
 * The apply's file operations are synchronous system calls, except the fsyncs. An lstat, open or
 * rename of a small file takes a few microseconds in the kernel, but through Node's promise API it
 * is a trip through libuv's thread pool and back, measured at 50 µs here (an open, read and close
 * at 170–195 µs against 5–8 µs). An apply of one file made some 45 such trips in a row, which was
 * most of its time (bench/apply). The syncs stay asynchronous: they wait for the disk, which can
 * take long on a busy host, and several are issued together so that they share the file system's
 * journal commits. Opens of paths another user can touch carry O_NONBLOCK, so a FIFO planted at a
 * managed name is opened without waiting for a writer and then refused by its fstat.
 */

const { O_RDONLY, O_DIRECTORY } = constants;

/** A read of a managed name: no link followed, and a FIFO swapped in opens at once (its fstat then refuses it). */
export const READ_NOWAIT = READ_NOFOLLOW | constants.O_NONBLOCK;

/** An open directory: an anchor for `pathAt`, checked once, fsynced through the same descriptor. */
export interface DirAnchor {
  readonly fd: number;
}

/** fsync of an open descriptor, off the event loop. */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** fdatasync of an open descriptor (bytes and size, not times or mode), off the event loop. */
export function fdatasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * Descriptors written and not yet synced, synced all at once by flush(). A step of an apply
 * creates and writes everything first and only then syncs: on ext4 an fsync commits the file
 * system's whole journal, and a file created or written while a commit runs waits for it and
 * then needs a commit of its own. With a sync issued before the next file was created, an apply
 * of one file spent 1.7–2.5 ms in its first round of syncs; with every file written first, one
 * commit serves them all (bench/apply).
 */
export class SyncBatch {
  /** Descriptors held open at most before the caller should flush (the agent's open-file limit may be 1,024). */
  static readonly MAX_PENDING = 256;

  private pending: { fd?: number; data: boolean; close: boolean; failed?: unknown; onError: (err: unknown) => unknown }[] = [];

  /** Whether the caller should flush before adding more (MAX_PENDING). */
  get full(): boolean {
    return this.pending.length >= SyncBatch.MAX_PENDING;
  }

  /**
   * An open descriptor to fsync (or fdatasync: bytes and size only). The batch closes it, unless
   * CLOSE is false: a directory anchor its owner (ManagedDirs) closes.
   */
  add(fd: number, how: 'fsync' | 'fdatasync', onError: (err: unknown) => unknown = (err) => err, close = true): void {
    this.pending.push({ fd, data: how === 'fdatasync', close, onError });
  }

  /** A directory to fsync, so the names created or renamed in it hold; a failed open fails the flush. */
  addDir(dir: string, onError: (err: unknown) => unknown = (err) => err): void {
    try {
      this.add(openSync(dir, O_RDONLY | O_DIRECTORY), 'fsync', onError);
    } catch (err) {
      this.pending.push({ data: false, close: false, failed: err, onError });
    }
  }

  /** Syncs everything added, together, and closes it; rejects with the first failure (onError's). */
  async flush(): Promise<void> {
    const all = this.pending;
    this.pending = [];
    const results = await Promise.allSettled(
      all.map((p) => (p.fd === undefined ? Promise.reject(p.failed) : (p.data ? fdatasyncFd : fsyncFd)(p.fd)).catch((err) => Promise.reject(p.onError(err)))),
    );
    for (const p of all) if (p.fd !== undefined && p.close) closeSync(p.fd);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Closes what was added without syncing it: the step failed before its flush. */
  discard(): void {
    for (const p of this.pending) if (p.fd !== undefined && p.close) closeSync(p.fd);
    this.pending = [];
  }
}

/** fsync a directory, so that a rename or unlink inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of DATA at the descriptor's offset (writeSync may write less than asked). */
export function writeAllSync(fd: number, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * lstat, or null when it fails for any reason: the apply's checks treat a name they cannot stat
 * as absent (and the step that then writes or reads it reports the real error).
 */
export function lstatOrNullSync(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The text of every JSON file the agent keeps (applied.json, the journal's plan). */
export const jsonText = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Temp files are named TEMP_PREFIX + 96 random bits, beside their target (the rename stays in one
 * directory, QMAIL.md §0). `~alias` belongs to the alias user, who could otherwise plant a symlink
 * at a predictable name and have root write, chmod and chown the file it points to (issue 10).
 */
export const TEMP_PREFIX = '.qfleet-tmp.';

/**
 * A new temp file `TEMP_PREFIX<random>` in DIR (createExclusiveTempSync: O_CREAT|O_EXCL|O_NOFOLLOW,
 * mode and owner set through the descriptor; a replaced file keeps its owner, Contract; the owner
 * is set only when we run as root) with the whole content written. Returns the open descriptor
 * and the name: the caller syncs and closes it.
 */
export function createTempSync(dir: string | DirAnchor, data: string | Buffer, mode: number, owner?: Owner): { fd: number; path: string; name: string } {
  const temp = createExclusiveTempSync(dir, TEMP_PREFIX, mode, owner);
  try {
    writeAllSync(temp.fd, data);
  } catch (err) {
    // A full disk fails here: the half-written temp goes, nothing else was touched.
    dropTemp(temp);
    throw err;
  }
  return temp;
}

function dropTemp(temp: { fd: number; path: string }): void {
  closeSync(temp.fd);
  try {
    unlinkSync(temp.path);
  } catch {
    /* already gone */
  }
}

/**
 * Creates a new temp file in DIR (see createTempSync), writes the whole content and fsyncs it.
 * Returns its name.
 */
export async function writeTempDurable(dir: string | DirAnchor, data: string | Buffer, mode: number, owner?: Owner): Promise<string> {
  const temp = createTempSync(dir, data, mode, owner);
  try {
    await fsyncFd(temp.fd);
  } catch (err) {
    dropTemp(temp);
    throw err;
  }
  closeSync(temp.fd);
  return temp.name;
}

/**
 * Opens a directory of the managed namespace (control/, users/, alias/, alias/qfleet/) as an
 * anchor for writing into it. It is opened at its real path with O_NOFOLLOW, so a directory
 * swapped for a link after the path check is refused, not followed. alias/ belongs to the alias
 * user, who can replace anything inside it: our own directories below it must be ours (checked
 * on the descriptor), or the alias user could hand us one of theirs. The caller closes it
 * (closeSync(anchor.fd)).
 */
export function openManagedDir(qmailHome: string, realHome: string, relDir: string): DirAnchor {
  const abs = join(qmailHome, relDir);
  const real = realpathSync(abs);
  const rel = relative(realHome, real);
  if (rel.startsWith('..') || rel.startsWith('/')) throw new UnsafeFile(abs, `resolves outside the qmail home (to ${real})`);
  // realpath resolved every link, so a link here was swapped in since: refused, not followed.
  const anchor = openDirNoFollowSync(real);
  try {
    const ownerMustBeUs = relDir.startsWith('alias/') && process.getuid?.() === 0;
    assertDirOwnedBySync(anchor.fd, abs, ownerMustBeUs ? 0 : undefined);
  } catch (err) {
    closeSync(anchor.fd);
    throw err;
  }
  return anchor;
}

/**
 * The managed directories one step of an apply works in, each opened and checked once
 * (openManagedDir) however many files of the apply it holds, and fsynced once through that same
 * checked descriptor, not reopened by name.
 */
export class ManagedDirs {
  private readonly anchors = new Map<string, DirAnchor | { refused: unknown }>();

  constructor(
    private readonly qmailHome: string,
    private readonly realHome: string,
  ) {}

  /** The directory's anchor; a refused directory throws the same error at each get(). */
  get(relDir: string): DirAnchor {
    let anchor = this.anchors.get(relDir);
    if (!anchor) {
      try {
        anchor = openManagedDir(this.qmailHome, this.realHome, relDir);
      } catch (err) {
        anchor = { refused: err };
      }
      this.anchors.set(relDir, anchor);
    }
    if ('refused' in anchor) throw anchor.refused;
    return anchor;
  }

  /** Puts every directory opened so far into BATCH, to be fsynced with the rest (and closed by close()). */
  syncWith(batch: SyncBatch, onError: (err: unknown, relDir: string) => unknown): void {
    for (const [relDir, anchor] of this.anchors) if ('fd' in anchor) batch.add(anchor.fd, 'fsync', (err) => onError(err, relDir), false);
  }

  close(): void {
    for (const anchor of this.anchors.values()) if ('fd' in anchor) closeSync(anchor.fd);
    this.anchors.clear();
  }
}

/**
 * JSON written to a fresh temp file (0600), fsync'd and renamed, so a reader sees the old or the
 * new document.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await renameJsonDurable(path, await writeTempDurable(dirname(path), jsonText(value), 0o600));
}

/** A temp beside PATH, written and synced, renamed over PATH, and the directory fsynced so the rename holds. */
export async function renameJsonDurable(path: string, staged: string): Promise<void> {
  renameSync(join(dirname(path), staged), path);
  await fsyncDir(dirname(path));
}
