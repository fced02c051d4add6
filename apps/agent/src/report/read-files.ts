import fs from 'node:fs/promises';
import path from 'node:path';
import type { FilesReadAnswer } from '@qfleet/protocol';
import { openRegularNoFollow, UnsafeFile } from '@qfleet/qmail';

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;

/**
 * The files an import looks at: everything in control/ and users/ (the controller decides
 * what it can model and reports the rest), `.qmail-*` in alias/ and qfleet's own
 * alias/qfleet/ files. Generated cdbs and our temp files are not configuration.
 */
export async function listImportable(home: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ['control', 'users']) {
    for (const name of await names(path.join(home, dir))) {
      if (name.endsWith('.cdb') || name === 'cdb' || name.startsWith('.qfleet-tmp') || name.endsWith('.tmp')) continue;
      out.push(`${dir}/${name}`);
    }
  }
  for (const name of await names(path.join(home, 'alias'))) if (name.startsWith('.qmail-')) out.push(`alias/${name}`);
  for (const name of await names(path.join(home, 'alias', 'qfleet'))) if (/\.(autoreply|filter)$/.test(name)) out.push(`alias/qfleet/${name}`);
  return out.sort();
}

/** Reads text files under the qmail home; never follows a link out of it, never reads more than the caps. */
export async function readQmailFiles(home: string, paths?: string[]): Promise<FilesReadAnswer> {
  const answer: FilesReadAnswer = { files: {}, skipped: [] };
  const realHome = await fs.realpath(home).catch(() => null);
  if (!realHome) return answer;
  let total = 0;
  for (const rel of paths ?? (await listImportable(home))) {
    if (rel.startsWith('/') || rel.split('/').includes('..')) {
      answer.skipped.push({ path: rel, reason: 'not a path inside the qmail home' });
      continue;
    }
    const full = path.join(home, rel);
    try {
      // LWQ links .qmail-mailer-daemon to .qmail-postmaster (QMAIL.md §3): a copy in the
      // document would stop following later edits of the target, so a link is not modelled.
      const link = await fs.readlink(full).catch(() => null);
      if (link !== null) {
        answer.skipped.push({ path: rel, reason: `a symbolic link to ${link}: qmail follows it; qfleet leaves links as they are` });
        continue;
      }
      const real = await fs.realpath(full);
      if (!real.startsWith(realHome + path.sep)) {
        answer.skipped.push({ path: rel, reason: 'a link that leads out of the qmail home' });
        continue;
      }
      // Judged by the descriptor read from, not the name: alias/ belongs to the alias user, who
      // may swap a name for a link, or hard-link a root-only file there (issue 10).
      const opened = await openRegularNoFollow(real, { singleLink: rel.startsWith('alias/') }).catch((err) => {
        if (err instanceof UnsafeFile) {
          answer.skipped.push({ path: rel, reason: err.reason });
          return null;
        }
        throw err;
      });
      if (!opened) continue;
      const { handle, stat: st } = opened;
      let bytes: Buffer;
      try {
        if (st.size > MAX_FILE_BYTES || total + st.size > MAX_TOTAL_BYTES) {
          answer.skipped.push({ path: rel, reason: `too large (${st.size} bytes)` });
          continue;
        }
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
      const text = bytes.toString('utf8');
      if (bytes.includes(0) || Buffer.from(text, 'utf8').compare(bytes) !== 0) {
        answer.skipped.push({ path: rel, reason: 'not text' });
        continue;
      }
      total += st.size;
      answer.files[rel] = text;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') answer.skipped.push({ path: rel, reason: `cannot read: ${code ?? (e as Error).message}` });
    }
  }
  return answer;
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch {
    return [];
  }
}
