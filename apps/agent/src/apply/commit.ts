import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathAt } from '@qfleet/qmail';
import { fsyncDir, openManagedDir } from './durable-fs';
import { maybeCrash } from './fault';
import type { JournalPlan } from './journal';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';

/** rename or unlink inside the entry's directory, reached through a checked descriptor (durable-fs). */
async function inDir(qmailHome: string, realHome: string, rel: string, fn: (at: (name: string) => string) => Promise<void>): Promise<void> {
  const dir = await openManagedDir(qmailHome, realHome, dirname(rel));
  try {
    await fn((name) => pathAt(dir, name));
  } finally {
    await dir.close();
  }
}

/**
 * Renames every temp into place and unlinks the removed files. rename replaces a file (or a
 * symlink) atomically, so a reader sees the old or the new bytes, never half (QMAIL.md §0).
 * Both happen through a descriptor of the directory: alias/qfleet swapped since prepare() is refused.
 */
export async function commit(qmailHome: string, plan: JournalPlan, fault?: string): Promise<void> {
  let renames = 0;
  const dirs = new Set<string>();
  const realHome = await realQmailHome(qmailHome);
  for (const entry of plan.entries) {
    const abs = join(qmailHome, entry.path);
    const name = basename(entry.path);
    if (entry.action === 'write') {
      await inDir(qmailHome, realHome, entry.path, (at) => rename(at(basename(entry.temp!)), at(name))).catch((err) => {
        throw StepError.wrap('rename', err, entry.path);
      });
      maybeCrash(fault, { kind: 'after-rename', count: ++renames });
    } else if (entry.action === 'remove') {
      await inDir(qmailHome, realHome, entry.path, (at) => unlink(at(name))).catch((err) => {
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
