import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigApply } from '@qfleet/protocol';
import { FS_CONCURRENCY, mapConcurrent } from './concurrent';

export type Change =
  | { action: 'write'; path: string; content: Buffer; mode: number }
  | { action: 'remove'; path: string };

/**
 * What really differs on disk. `files` is the whole managed set (DESIGN.md "Agent protocol"),
 * so unchanged files are left alone, mtime and all; removes of files already gone are no-ops.
 */
export async function diffAgainstDisk(qmailHome: string, msg: Pick<ConfigApply, 'files' | 'removes'>): Promise<Change[]> {
  // Reads only: FS_CONCURRENCY at a time, the order of the revision kept.
  const writes = await mapConcurrent(msg.files, FS_CONCURRENCY, async (file): Promise<Change | null> => {
    const content = Buffer.from(file.content, 'utf8');
    const abs = join(qmailHome, file.path);
    const stat = await lstat(abs).catch(() => null);
    // A symlink is replaced by a regular file: the document describes the file, not a link.
    const same = stat?.isFile() && (stat.mode & 0o777) === file.mode && stat.size === content.length && (await readFile(abs)).equals(content);
    return same ? null : { action: 'write', path: file.path, content, mode: file.mode };
  });
  const removes = await mapConcurrent(msg.removes, FS_CONCURRENCY, async (path): Promise<Change | null> =>
    (await lstat(join(qmailHome, path)).catch(() => null)) ? { action: 'remove', path } : null,
  );
  return [...writes, ...removes].filter((c): c is Change => c !== null);
}
