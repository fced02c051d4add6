import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageNotFound } from './errors';
import { folderDir, folderOfDir, isMessageName, newestFirst, parseMaildirName, type MaildirMessage } from './maildir';
import type { DeleteResult } from './mbox-files';

/**
 * Reading and deleting Maildir messages (QMAIL.md §6). Reading changes nothing: Webmin moves every
 * file from `new/` to `cur/` when it opens a Maildir (QMAIL.md §7), which makes mail look read to
 * the user's own client; we never rename. Deleting is a plain unlink, which needs no lock: a
 * Maildir delivery only ever creates new names.
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

async function listFolder(maildir: string, folder: string): Promise<MaildirMessage[]> {
  const base = folderDir(folder);
  const out: MaildirMessage[] = [];
  // new/ before cur/: a reader moving a message from new/ to cur/ meanwhile is then still seen in cur/.
  for (const sub of ['new', 'cur'] as const) {
    for (const name of await names(join(maildir, base, sub))) {
      const path = join(base, sub, name);
      const st = await stat(join(maildir, path)).catch((err) => {
        if (isMissing(err)) return null; // moved to cur/ or deleted since readdir
        throw err;
      });
      if (!st?.isFile()) continue;
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
export async function listMaildir(maildir: string, options: { folders?: boolean } = {}): Promise<MaildirMessage[]> {
  const folders = [''].concat(options.folders ? await listMaildirFolders(maildir) : []);
  const lists = await Promise.all(folders.map((f) => listFolder(maildir, f)));
  return newestFirst(lists.flat());
}

/**
 * Size and count as Webmin reports them (QMAIL.md §6): size is the sum of the file sizes in cur/,
 * new/ and tmp/ of the Maildir itself (dot-folders skipped); count is the non-empty files in new/ and cur/.
 */
export async function maildirStats(maildir: string): Promise<{ size: number; count: number }> {
  let size = 0;
  let count = 0;
  for (const sub of ['cur', 'new', 'tmp']) {
    for (const name of await names(join(maildir, sub))) {
      const st = await stat(join(maildir, sub, name)).catch(() => null);
      if (!st?.isFile()) continue;
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
export async function readMaildirMessage(maildir: string, id: string, options: { folder?: string } = {}): Promise<Buffer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const path = (await locate(maildir, options.folder ?? '')).get(id)?.[0];
    if (!path) break;
    try {
      return await readFile(join(maildir, path));
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
  options: { folder?: string } = {},
): Promise<DeleteResult> {
  const folder = options.folder ?? '';
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
          unlink(join(maildir, p)).then(
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
