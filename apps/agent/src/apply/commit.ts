import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathAt } from '@qfleet/qmail';
import { fsyncDir, ManagedDirs } from './durable-fs';
import { maybeCrash } from './fault';
import { recordSignals, type JournalPlan } from './journal';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';

/**
 * Renames every temp into place and unlinks the removed files. rename replaces a file (or a
 * symlink) atomically, so a reader sees the old or the new bytes, never half (QMAIL.md §0).
 * Both happen through a descriptor of the directory: alias/qfleet swapped since prepare() is refused.
 * Each directory is opened and checked once, and fsynced once through that descriptor after its
 * last rename. The renames stay one at a time, in plan order (the crash tests count them).
 *
 * SIGNALS (the HUP/restart the post-steps will send) are recorded in the journal while the
 * directories sync, not after: a signal recorded and then not sent (a crash in between) is
 * merely repeated by the rollback, which makes qmail-send reread the restored files it already
 * has; what must hold is only that a signal sent is recorded, and runPostSteps sends none
 * before this returns. (plan.signalled in memory lists only what was really sent, for a
 * rollback in this process.)
 */
export async function commit(qmailHome: string, stateDir: string, plan: JournalPlan, signals: ('hup' | 'restart')[], fault?: string): Promise<void> {
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
    const syncs = await Promise.allSettled([
      dirs.syncAll((err, relDir) => StepError.wrap('fsync', err, join(qmailHome, relDir))),
      // A directory the apply created must be durable in its parent too, or a power cut after the
      // ack could take it, and the files renamed into it, away from a host recorded as applied.
      ...[...new Set(plan.createdDirs.map((d) => dirname(d)))].map((parent) => fsyncDir(join(qmailHome, parent)).catch((err) => Promise.reject(StepError.wrap('fsync', err, join(qmailHome, parent))))),
      signals.length ? recordSignals(stateDir, signals).catch((err) => Promise.reject(StepError.wrap('record', err))) : undefined,
    ]);
    const failed = syncs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await dirs.close();
  }
  maybeCrash(fault, { kind: 'before-post-steps' });
}
