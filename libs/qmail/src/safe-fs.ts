import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * File access for a process running as root in directories that other users own: `~alias` belongs
 * to the alias user, a home to its user, a Maildir to the mailbox owner. Any name in such a
 * directory may have been replaced a moment ago by a symlink or a hard link to a file the owner
 * cannot read or write (/etc/shadow). So: open with O_NOFOLLOW, check what the descriptor is
 * (fstat, not the name), create with O_EXCL under unpredictable names, and chmod/chown only
 * through a descriptor. Node has no openat(); `/proc/self/fd/<dirfd>/<name>` resolves a name
 * inside a directory we opened and checked, even if that directory is renamed or swapped since.
 */

/** A path the process refused to use as it is: a link, not a regular file, another owner... */
export class UnsafeFile extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}; refused`);
    this.name = 'UnsafeFile';
  }
}

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

/** Flags of a read-only open that refuses a symlink as the last component. */
export const READ_NOFOLLOW = O_RDONLY | O_NOFOLLOW;

function refusal(path: string, err: unknown, what: 'file' | 'directory'): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  // O_NOFOLLOW on a symlink fails with ELOOP (Linux) or EMLINK (FreeBSD); O_DIRECTORY on a file with ENOTDIR.
  if (code === 'ELOOP' || code === 'EMLINK') return new UnsafeFile(path, 'is a symbolic link');
  if (code === 'ENOTDIR' && what === 'directory') return new UnsafeFile(path, 'is not a directory');
  return err;
}

/** Opens PATH without following a symlink in its last component (intermediate ones are the caller's to check). */
export async function openNoFollow(path: string, flags: number = O_RDONLY): Promise<FileHandle> {
  try {
    return await open(path, flags | O_NOFOLLOW);
  } catch (err) {
    throw refusal(path, err, 'file');
  }
}

/** Opens a directory for use as an anchor (`pathAt`), refusing a symlink or a non-directory. */
export async function openDirNoFollow(path: string): Promise<FileHandle> {
  try {
    return await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    throw dirRefusal(path, err, notDir(err) && ((await lstatOrNull(path))?.isSymbolicLink() ?? false));
  }
}

/** openDirNoFollow with a synchronous open (the agent's apply); the caller closes the descriptor. */
export function openDirNoFollowSync(path: string): { fd: number } {
  try {
    return { fd: openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) };
  } catch (err) {
    throw dirRefusal(path, err, notDir(err) && isSymlinkSync(path));
  }
}

// With O_DIRECTORY, Linux answers a symlink with ENOTDIR: the path is looked at again only then,
// to tell the two apart for the message.
const notDir = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOTDIR';

function dirRefusal(path: string, err: unknown, isSymlink: boolean): unknown {
  return isSymlink ? new UnsafeFile(path, 'is a symbolic link') : refusal(path, err, 'directory');
}

function isSymlinkSync(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The path of NAME inside the directory DIR was opened on, whatever its name is now (Linux /proc). */
export function pathAt(dir: { readonly fd: number }, name: string): string {
  if (name.includes('/') || name === '' || name === '.' || name === '..') throw new UnsafeFile(name, 'is not a plain file name');
  return `/proc/self/fd/${dir.fd}/${name}`;
}

export interface OwnerCheck {
  /** the uid the file must belong to; omitted: any owner */
  uid?: number;
  /** refuse a file with more than one name (a hard link planted to someone else's file) */
  singleLink?: boolean;
}

/** fstat of an open file: a regular file, with the expected owner. Returns the stat. */
export async function assertRegularOwnedBy(handle: FileHandle, path: string, check: OwnerCheck = {}): Promise<Stats> {
  const st = await handle.stat();
  if (!st.isFile()) throw new UnsafeFile(path, 'is not a regular file');
  if (check.uid !== undefined && st.uid !== check.uid) throw new UnsafeFile(path, `belongs to uid ${st.uid}, not ${check.uid}`);
  if (check.singleLink && st.nlink > 1) throw new UnsafeFile(path, `has ${st.nlink} hard links`);
  return st;
}

/** fstat of an open directory: a directory with the expected owner. */
export async function assertDirOwnedBy(handle: FileHandle, path: string, uid?: number): Promise<Stats> {
  return checkDir(await handle.stat(), path, uid);
}

/** assertDirOwnedBy on a descriptor, synchronously. */
export function assertDirOwnedBySync(fd: number, path: string, uid?: number): Stats {
  return checkDir(fstatSync(fd), path, uid);
}

function checkDir(st: Stats, path: string, uid?: number): Stats {
  if (!st.isDirectory()) throw new UnsafeFile(path, 'is not a directory');
  if (uid !== undefined && st.uid !== uid) throw new UnsafeFile(path, `belongs to uid ${st.uid}, not ${uid}`);
  return st;
}

/** Opens PATH (no symlink) for reading and checks the descriptor; closes it again on refusal. */
export async function openRegularNoFollow(path: string, check: OwnerCheck = {}, flags: number = O_RDONLY): Promise<{ handle: FileHandle; stat: Stats }> {
  const handle = await openNoFollow(path, flags);
  try {
    return { handle, stat: await assertRegularOwnedBy(handle, path, check) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** lstat that answers null for a missing path. */
export async function lstatOrNull(path: string): Promise<Stats | null> {
  return lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw err;
  });
}

/** 96 random bits: a name nobody can plant a link at in advance. */
export const randomSuffix = (): string => randomBytes(12).toString('hex');

export interface ExclusiveTemp {
  handle: FileHandle;
  /** the path it was created at (inside `dir`) */
  path: string;
  /** its name inside the directory */
  name: string;
}

/**
 * Creates a new file `<prefix><random>` with O_CREAT|O_EXCL|O_NOFOLLOW: nothing that was planted
 * at that name is followed or reused. The mode is set on the descriptor (open() applies the umask),
 * and the owner only ever through it. DIR is a directory path or an opened directory (`pathAt`).
 */
export async function createExclusiveTemp(dir: string | FileHandle, prefix: string, mode: number, owner?: { uid: number; gid: number }): Promise<ExclusiveTemp> {
  const { name, path } = tempName(dir, prefix);
  let handle: FileHandle;
  try {
    handle = await open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  } catch (err) {
    throw refusal(path, err, 'file');
  }
  try {
    await handle.chmod(mode);
    if (owner && process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return { handle, path, name };
}

/** createExclusiveTemp with synchronous calls (the agent's apply); returns the open descriptor. */
export function createExclusiveTempSync(dir: string | { readonly fd: number }, prefix: string, mode: number, owner?: { uid: number; gid: number }): { fd: number; path: string; name: string } {
  const { name, path } = tempName(dir, prefix);
  let fd: number;
  try {
    fd = openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  } catch (err) {
    throw refusal(path, err, 'file');
  }
  try {
    fchmodSync(fd, mode);
    if (owner && process.getuid?.() === 0) fchownSync(fd, owner.uid, owner.gid);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return { fd, path, name };
}

function tempName(dir: string | { readonly fd: number }, prefix: string): { name: string; path: string } {
  const name = `${prefix}${randomSuffix()}`;
  return { name, path: typeof dir === 'string' ? join(dir, name) : pathAt(dir, name) };
}
