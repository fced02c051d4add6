import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigApply } from '@qfleet/protocol';
import { lstatOrNullSync, READ_NOWAIT } from './durable-fs';
import { turnEvery } from './turns';

export type Change =
  | { action: 'write'; path: string; content: Buffer; mode: number }
  | { action: 'remove'; path: string };

/**
 * What really differs on disk. `files` is the whole managed set (DESIGN.md "Agent protocol"),
 * so unchanged files are left alone, mtime and all; removes of files already gone are no-ops.
 */
export async function diffAgainstDisk(qmailHome: string, msg: Pick<ConfigApply, 'files' | 'removes'>): Promise<Change[]> {
  const writes: (Change | null)[] = [];
  for (const [i, file] of msg.files.entries()) {
    await turnEvery(i);
    writes.push(diffOne(qmailHome, file));
  }
  const removes: (Change | null)[] = [];
  for (const [i, path] of msg.removes.entries()) {
    await turnEvery(i);
    removes.push(lstatOrNullSync(join(qmailHome, path)) ? { action: 'remove', path } : null);
  }
  return [...writes, ...removes].filter((c): c is Change => c !== null);
}

function diffOne(qmailHome: string, file: ConfigApply['files'][number]): Change | null {
  const content = Buffer.from(file.content, 'utf8');
  const abs = join(qmailHome, file.path);
  const stat = lstatOrNullSync(abs);
  // A symlink is replaced by a regular file: the document describes the file, not a link.
  const same = stat?.isFile() && (stat.mode & 0o777) === file.mode && stat.size === content.length && sameBytes(abs, content);
  return same ? null : { action: 'write', path: file.path, content, mode: file.mode };
}

/**
 * Whether ABS holds exactly CONTENT. Opened without following a link and without blocking: a
 * FIFO or a link swapped in since the lstat is not read, and counts as different (prepare then
 * refuses or replaces it).
 */
function sameBytes(abs: string, content: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(abs, READ_NOWAIT);
  } catch {
    return false;
  }
  try {
    return fstatSync(fd).isFile() && readFileSync(fd).equals(content);
  } finally {
    closeSync(fd);
  }
}
