import { lstat, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assertDirOwnedBy, openDirNoFollow, openRegularNoFollow, pathAt, UnsafeFile, type OwnerCheck } from '../safe-fs';
import { MessageNotFound } from './errors';
import { folderDir, folderOfDir, isMessageName, newestFirst, parseMaildirName, type MaildirMessage } from './maildir';
import type { DeleteResult } from './mbox-files';

/**
 * Reading and deleting Maildir messages (QMAIL.md §6). Reading changes nothing: Webmin moves every
 * file from `new/` to `cur/` when it opens a Maildir (QMAIL.md §7), which makes mail look read to
 * the user's own client; we never rename. Deleting is a plain unlink, which needs no lock: a
 * Maildir delivery only ever creates new names.
 *
 * The Maildir belongs to its user, who may plant a symlink or a hard link to any file in it; we
 * may run as root. With `guard.uid`, a message file is opened with O_NOFOLLOW and must be a regular
 * file of that uid (fstat of the descriptor), else it is skipped in listings and refused
 * (UnsafeFile) when read; deletes unlink through a descriptor of the checked new/ or cur/.
 */

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isMessageName);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** The Maildir++ folders (`.Name/` holding a `cur/` or `new/`), by name. */
export async function listMaildirFolders(maildir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(maildir, { withFileTypes: true })) {
    const folder = entry.isDirectory() ? folderOfDir(entry.name) : null;
    if (folder === null) continue;
    const inside = await readdir(join(maildir, entry.name)).catch(() => [] as string[]);
    if (inside.includes('cur') || inside.includes('new')) out.push(folder);
  }
  return out.sort();
}

/** lstat: a regular file of the expected uid, or null (missing, a link, a directory, another owner's). */
async function ownedFile(path: string, guard: OwnerCheck) {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (isMissing(err)) return null;
    throw err;
  });
  return st?.isFile() && (guard.uid === undefined || st.uid === guard.uid) ? st : null;
}

async function listFolder(maildir: string, folder: string, guard: OwnerCheck): Promise<MaildirMessage[]> {
  const base = folderDir(folder);
  const out: MaildirMessage[] = [];
  // new/ before cur/: a reader moving a message from new/ to cur/ meanwhile is then still seen in cur/.
  for (const sub of ['new', 'cur'] as const) {
    for (const name of await names(join(maildir, base, sub))) {
      const path = join(base, sub, name);
      // null: moved to cur/ or deleted since readdir, or not a file of the mailbox's owner
      const st = await ownedFile(join(maildir, path), guard);
      if (!st) continue;
      const { id, flags } = parseMaildirName(name);
      out.push({ id, folder, path, size: st.size, mtime: st.mtime, flags: sub === 'new' ? '' : flags, isNew: sub === 'new' });
    }
  }
  return out;
}

/**
 * The messages of a Maildir (new/ and cur/; tmp/ holds deliveries in progress), newest first.
 * `folders: true` adds the Maildir++ `.Name/` folders.
 */
export async function listMaildir(maildir: string, options: { folders?: boolean; guard?: OwnerCheck } = {}): Promise<MaildirMessage[]> {
  const folders = [''].concat(options.folders ? await listMaildirFolders(maildir) : []);
  const lists = await Promise.all(folders.map((f) => listFolder(maildir, f, options.guard ?? {})));
  return newestFirst(lists.flat());
}

/**
 * Size and count as Webmin reports them (QMAIL.md §6): size is the sum of the file sizes in cur/,
 * new/ and tmp/ of the Maildir itself (dot-folders skipped); count is the non-empty files in new/ and cur/.
 */
export async function maildirStats(maildir: string, guard: OwnerCheck = {}): Promise<{ size: number; count: number }> {
  let size = 0;
  let count = 0;
  for (const sub of ['cur', 'new', 'tmp']) {
    for (const name of await names(join(maildir, sub))) {
      const st = await ownedFile(join(maildir, sub, name), guard).catch(() => null);
      if (!st) continue;
      size += st.size;
      if (sub !== 'tmp' && st.size > 0) count++;
    }
  }
  return { size, count };
}

/** Where each id of a folder lives now (relative paths; normally one per id). */
async function locate(maildir: string, folder: string): Promise<Map<string, string[]>> {
  const base = folderDir(folder);
  const where = new Map<string, string[]>();
  for (const sub of ['new', 'cur']) {
    for (const name of await names(join(maildir, base, sub))) {
      const { id } = parseMaildirName(name);
      where.set(id, [...(where.get(id) ?? []), join(base, sub, name)]);
    }
  }
  return where;
}

/** The bytes of a message, found by id in new/ or cur/ wherever a reader has moved it. */
export async function readMaildirMessage(maildir: string, id: string, options: { folder?: string; guard?: OwnerCheck } = {}): Promise<Buffer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const path = (await locate(maildir, options.folder ?? '')).get(id)?.[0];
    if (!path) break;
    try {
      const { handle } = await openRegularNoFollow(join(maildir, path), options.guard);
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (!isMissing(err)) throw err; // renamed into cur/ between readdir and open: look again
    }
  }
  throw new MessageNotFound(maildir, id);
}

/**
 * Unlinks the messages with these ids from a folder (default: the Maildir itself). Ids matching no
 * file are reported in `missing`. A file that vanishes before its unlink is looked for again (a
 * POP3 session may have just renamed it into cur/) and counts as deleted once it is gone for good.
 */
export async function deleteMaildirMessages(
  maildir: string,
  ids: readonly string[],
  options: { folder?: string; guard?: OwnerCheck } = {},
): Promise<DeleteResult> {
  const folder = options.folder ?? '';
  const unlinkMessage = (rel: string) => unlinkOwned(maildir, rel, options.guard ?? {});
  const result: DeleteResult = { deleted: [], missing: [] };
  let where = await locate(maildir, folder);
  for (const id of new Set(ids)) {
    if (!where.has(id)) {
      result.missing.push(id);
      continue;
    }
    let done = false;
    for (let attempt = 0; attempt < 3 && !done; attempt++) {
      const paths = where.get(id) ?? [];
      const gone = await Promise.all(
        paths.map((p) =>
          unlinkMessage(p).then(
            () => true,
            (err) => {
              if (isMissing(err)) return false;
              throw err;
            },
          ),
        ),
      );
      if (gone.every(Boolean)) done = true;
      else {
        where = await locate(maildir, folder);
        done = !where.has(id);
      }
    }
    if (!done) throw new Error(`${maildir}: message ${id} keeps moving; not deleted`);
    result.deleted.push(id);
  }
  return result;
}

/**
 * Unlinks REL (`[.Folder/]new|cur/<name>`) through a descriptor of its directory: the directory
 * must not be a link and must belong to the guard's uid, the file must be that uid's regular file
 * (lstat through the descriptor). A user who swaps new/ for a link to /etc meanwhile gets a refusal.
 */
async function unlinkOwned(maildir: string, rel: string, guard: OwnerCheck): Promise<void> {
  const slash = rel.lastIndexOf('/');
  const dirPath = join(maildir, rel.slice(0, slash));
  const name = rel.slice(slash + 1);
  let dir: FileHandle;
  try {
    dir = await openDirNoFollow(dirPath);
  } catch (err) {
    if (isMissing(err)) throw err;
    throw err instanceof UnsafeFile ? err : new UnsafeFile(dirPath, (err as Error).message);
  }
  try {
    await assertDirOwnedBy(dir, dirPath, guard.uid);
    const st = await lstat(pathAt(dir, name));
    const path = join(maildir, rel);
    if (!st.isFile()) throw new UnsafeFile(path, st.isSymbolicLink() ? 'is a symbolic link' : 'is not a regular file');
    if (guard.uid !== undefined && st.uid !== guard.uid) throw new UnsafeFile(path, `belongs to uid ${st.uid}, not ${guard.uid}`);
    await unlink(pathAt(dir, name));
  } finally {
    await dir.close();
  }
}
