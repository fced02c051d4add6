import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigApply } from '@qfleet/protocol';

export type Change =
  | { action: 'write'; path: string; content: Buffer; mode: number }
  | { action: 'remove'; path: string };

/**
 * What really differs on disk. `files` is the whole managed set (DESIGN.md "Agent protocol"),
 * so unchanged files are left alone, mtime and all; removes of files already gone are no-ops.
 */
export async function diffAgainstDisk(qmailHome: string, msg: Pick<ConfigApply, 'files' | 'removes'>): Promise<Change[]> {
  const changes: Change[] = [];
  for (const file of msg.files) {
    const content = Buffer.from(file.content, 'utf8');
    const abs = join(qmailHome, file.path);
    const stat = await lstat(abs).catch(() => null);
    // A symlink is replaced by a regular file: the document describes the file, not a link.
    const same = stat?.isFile() && (stat.mode & 0o777) === file.mode && stat.size === content.length && (await readFile(abs)).equals(content);
    if (!same) changes.push({ action: 'write', path: file.path, content, mode: file.mode });
  }
  for (const path of msg.removes) {
    if (await lstat(join(qmailHome, path)).catch(() => null)) changes.push({ action: 'remove', path });
  }
  return changes;
}
