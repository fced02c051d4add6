import { rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from './durable-fs';
import { maybeCrash } from './fault';
import type { JournalPlan } from './journal';
import { StepError } from './step-error';

/**
 * Renames every temp into place and unlinks the removed files. rename replaces a file (or a
 * symlink) atomically, so a reader sees the old or the new bytes, never half (QMAIL.md §0).
 */
export async function commit(qmailHome: string, plan: JournalPlan, fault?: string): Promise<void> {
  let renames = 0;
  const dirs = new Set<string>();
  for (const entry of plan.entries) {
    const abs = join(qmailHome, entry.path);
    if (entry.action === 'write') {
      await rename(join(qmailHome, entry.temp!), abs).catch((err) => {
        throw StepError.wrap('rename', err, entry.path);
      });
      maybeCrash(fault, { kind: 'after-rename', count: ++renames });
    } else if (entry.action === 'remove') {
      await unlink(abs).catch((err) => {
        throw StepError.wrap('remove', err, entry.path);
      });
    } else continue;
    dirs.add(dirname(abs));
  }
  for (const dir of dirs) {
    await fsyncDir(dir).catch((err) => {
      throw StepError.wrap('fsync', err, dir);
    });
  }
  maybeCrash(fault, { kind: 'before-post-steps' });
}
