import { closeSync, constants, fchmodSync, fchownSync, fdatasync, fstatSync, fsync, lstatSync, openSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathAt, randomSuffix, UnsafeFile } from '@qfleet/qmail';

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

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

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

  private pending: { fd?: number; data: boolean; failed?: unknown; onError: (err: unknown) => unknown }[] = [];

  /** Whether the caller should flush before adding more (MAX_PENDING). */
  get full(): boolean {
    return this.pending.length >= SyncBatch.MAX_PENDING;
  }

  /** An open descriptor to fsync (or fdatasync: bytes and size only); the batch closes it. */
  add(fd: number, how: 'fsync' | 'fdatasync', onError: (err: unknown) => unknown = (err) => err): void {
    this.pending.push({ fd, data: how === 'fdatasync', onError });
  }

  /** A directory to fsync, so the names created or renamed in it hold; a failed open fails the flush. */
  addDir(dir: string, onError: (err: unknown) => unknown = (err) => err): void {
    try {
      this.add(openSync(dir, O_RDONLY | O_DIRECTORY), 'fsync', onError);
    } catch (err) {
      this.pending.push({ data: false, failed: err, onError });
    }
  }

  /** Syncs everything added, together, and closes it; rejects with the first failure (onError's). */
  async flush(): Promise<void> {
    const all = this.pending;
    this.pending = [];
    const results = await Promise.allSettled(
      all.map((p) => (p.fd === undefined ? Promise.reject(p.failed) : (p.data ? fdatasyncFd : fsyncFd)(p.fd)).catch((err) => Promise.reject(p.onError(err)))),
    );
    for (const p of all) if (p.fd !== undefined) closeSync(p.fd);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Closes what was added without syncing it: the step failed before its flush. */
  discard(): void {
    for (const p of this.pending) if (p.fd !== undefined) closeSync(p.fd);
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
 * Creates a new file `TEMP_PREFIX<random>` in DIR with O_CREAT|O_EXCL|O_NOFOLLOW, so nothing
 * planted at that name is followed or reused, and writes the whole content. Mode and owner are
 * set through the descriptor (open() applies the umask; a replaced file keeps its owner, Contract;
 * the owner is set only when we run as root). Returns the open descriptor and the name: the
 * caller syncs and closes it.
 */
export function createTempSync(dir: string | DirAnchor, data: string | Buffer, mode: number, owner?: Owner): { fd: number; path: string; name: string } {
  const name = `${TEMP_PREFIX}${randomSuffix()}`;
  const path = typeof dir === 'string' ? join(dir, name) : pathAt(dir, name);
  let fd: number;
  try {
    fd = openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ELOOP' || code === 'EMLINK' ? new UnsafeFile(path, 'is a symbolic link') : err;
  }
  try {
    fchmodSync(fd, mode);
    if (owner && process.getuid?.() === 0) fchownSync(fd, owner.uid, owner.gid);
    writeAllSync(fd, data);
  } catch (err) {
    // A full disk fails here: the half-written temp goes, nothing else was touched.
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
    throw err;
  }
  return { fd, path, name };
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
    closeSync(temp.fd);
    try {
      unlinkSync(temp.path);
    } catch {
      /* already gone */
    }
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
  let fd: number;
  try {
    fd = openSync(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    // realpath resolved every link, so a link here was swapped in since. With O_DIRECTORY, Linux
    // answers a symlink with ENOTDIR: tell the two apart for the message.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK' || (code === 'ENOTDIR' && isSymlink(real))) throw new UnsafeFile(real, 'is a symbolic link');
    if (code === 'ENOTDIR') throw new UnsafeFile(real, 'is not a directory');
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isDirectory()) throw new UnsafeFile(abs, 'is not a directory');
    const ownerMustBeUs = relDir.startsWith('alias/') && process.getuid?.() === 0;
    if (ownerMustBeUs && st.uid !== 0) throw new UnsafeFile(abs, `belongs to uid ${st.uid}, not 0`);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return { fd };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
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

  /** fsyncs every directory opened so far, together; rejects with the first failure, naming the directory. */
  async syncAll(onError: (err: unknown, relDir: string) => unknown): Promise<void> {
    const opened = [...this.anchors].filter((e): e is [string, DirAnchor] => 'fd' in e[1]);
    const results = await Promise.allSettled(opened.map(([relDir, anchor]) => fsyncFd(anchor.fd).catch((err) => Promise.reject(onError(err, relDir)))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
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
  const name = await stageJsonDurable(path, value);
  await renameJsonDurable(path, name);
}

/**
 * The first half of writeJsonAtomic: the temp written and fsync'd beside PATH, not yet renamed.
 * Lets an apply write applied.json's next content alongside its journal and only rename it at
 * the end (renameJsonDurable). Returns the temp's name.
 */
export function stageJsonDurable(path: string, value: unknown): Promise<string> {
  return writeTempDurable(dirname(path), JSON.stringify(value, null, 2) + '\n', 0o600);
}

/** The second half: the staged temp renamed over PATH, and the directory fsynced so the rename holds. */
export async function renameJsonDurable(path: string, staged: string): Promise<void> {
  renameSync(join(dirname(path), staged), path);
  await fsyncDir(dirname(path));
}
