import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathAt } from '@qfleet/qmail';
import { ManagedDirs } from './durable-fs';
import { maybeCrash } from './fault';
import type { JournalPlan } from './journal';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';

/**
 * Renames every temp into place and unlinks the removed files. rename replaces a file (or a
 * symlink) atomically, so a reader sees the old or the new bytes, never half (QMAIL.md §0).
 * Both happen through a descriptor of the directory: alias/qfleet swapped since prepare() is refused.
 * Each directory is opened and checked once, and fsynced once through that descriptor after its
 * last rename. The renames stay one at a time, in plan order (the crash tests count them).
 */
export async function commit(qmailHome: string, plan: JournalPlan, fault?: string): Promise<void> {
  let renames = 0;
  const dirs = new ManagedDirs(qmailHome, await realQmailHome(qmailHome));
  try {
    for (const entry of plan.entries) {
      if (entry.action === 'generated') continue;
      const dir = dirs.get(dirname(entry.path));
      const name = basename(entry.path);
      if (entry.action === 'write') {
        await dir
          .then((d) => rename(pathAt(d, basename(entry.temp!)), pathAt(d, name)))
          .catch((err) => {
            throw StepError.wrap('rename', err, entry.path);
          });
        maybeCrash(fault, { kind: 'after-rename', count: ++renames });
      } else {
        await dir
          .then((d) => unlink(pathAt(d, name)))
          .catch((err) => {
            throw StepError.wrap('remove', err, entry.path);
          });
      }
    }
    await dirs.syncAll((err, relDir) => StepError.wrap('fsync', err, join(qmailHome, relDir)));
  } finally {
    await dirs.close();
  }
  maybeCrash(fault, { kind: 'before-post-steps' });
}
