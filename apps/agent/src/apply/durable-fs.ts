import { open, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { assertDirOwnedBy, createExclusiveTemp, openDirNoFollow, UnsafeFile, type ExclusiveTemp } from '@qfleet/qmail';

/** fsync a directory, so that a rename or unlink inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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

async function writeAll(handle: FileHandle, data: string | Buffer): Promise<void> {
  await handle.writeFile(data);
  await handle.sync();
}

/**
 * Creates a new temp file in DIR (O_EXCL|O_NOFOLLOW, random name), writes the whole content and
 * fsyncs it. Mode and owner are set through the descriptor (open() applies the umask; a replaced
 * file keeps its owner, Contract; the owner is set only when we run as root). Returns its name.
 */
export async function writeTempDurable(dir: string | FileHandle, data: string | Buffer, mode: number, owner?: Owner): Promise<string> {
  const temp: ExclusiveTemp = await createExclusiveTemp(dir, TEMP_PREFIX, mode, owner);
  try {
    await writeAll(temp.handle, data);
  } catch (err) {
    // A full disk fails here: the half-written temp goes, nothing else was touched.
    await temp.handle.close();
    await unlink(temp.path).catch(() => undefined);
    throw err;
  }
  await temp.handle.close();
  return temp.name;
}

/**
 * Opens a directory of the managed namespace (control/, users/, alias/, alias/qfleet/) as an
 * anchor for writing into it. It is opened at its real path with O_NOFOLLOW, so a directory
 * swapped for a link after the path check is refused, not followed. alias/ belongs to the alias
 * user, who can replace anything inside it: our own directories below it must be ours (checked
 * on the descriptor), or the alias user could hand us one of theirs.
 */
export async function openManagedDir(qmailHome: string, realHome: string, relDir: string): Promise<FileHandle> {
  const abs = join(qmailHome, relDir);
  const real = await realpath(abs);
  const rel = relative(realHome, real);
  if (rel.startsWith('..') || rel.startsWith('/')) throw new UnsafeFile(abs, `resolves outside the qmail home (to ${real})`);
  const handle = await openDirNoFollow(real);
  try {
    const ownerMustBeUs = relDir.startsWith('alias/') && process.getuid?.() === 0;
    await assertDirOwnedBy(handle, abs, ownerMustBeUs ? 0 : undefined);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/**
 * The managed directories one step of an apply works in, each opened and checked once
 * (openManagedDir) however many files of the apply it holds, and fsynced once through that same
 * checked descriptor, not reopened by name.
 */
export class ManagedDirs {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(
    private readonly qmailHome: string,
    private readonly realHome: string,
  ) {}

  get(relDir: string): Promise<FileHandle> {
    let handle = this.handles.get(relDir);
    if (!handle) {
      handle = openManagedDir(this.qmailHome, this.realHome, relDir);
      // A refused directory is reported by each get(); this keeps the cached rejection from counting as unhandled.
      handle.catch(() => undefined);
      this.handles.set(relDir, handle);
    }
    return handle;
  }

  /** fsyncs every directory opened so far, together; rejects with the first failure, naming the directory. */
  async syncAll(onError: (err: unknown, relDir: string) => unknown): Promise<void> {
    const results = await Promise.allSettled([...this.handles].map(([relDir, handle]) => handle.then((h) => h.sync()).catch((err) => Promise.reject(onError(err, relDir)))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(handles.map((handle) => handle.then((h) => h.close())));
  }
}

/**
 * JSON written to a fresh temp file (0600), fsync'd and renamed, so a reader sees the old or the
 * new document. BEFORE_RENAME, when given, runs alongside the temp's write and fsync and must
 * finish before the rename.
 */
export async function writeJsonAtomic(path: string, value: unknown, beforeRename?: () => Promise<unknown>): Promise<void> {
  const [name] = await Promise.all([writeTempDurable(dirname(path), JSON.stringify(value, null, 2) + '\n', 0o600), beforeRename?.()]);
  await rename(join(dirname(path), name), path);
  await fsyncDir(dirname(path));
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
  await rename(join(dirname(path), staged), path);
  await fsyncDir(dirname(path));
}
