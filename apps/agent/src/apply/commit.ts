import { renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathAt } from '@qfleet/qmail';
import { ManagedDirs, SyncBatch } from './durable-fs';
import { maybeCrash } from './fault';
import { appendSignals, type JournalPlan } from './journal';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';
import { turnEvery } from './turns';

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
    for (const [i, entry] of plan.entries.entries()) {
      await turnEvery(i);
      if (entry.action === 'generated') continue;
      const name = basename(entry.path);
      if (entry.action === 'write') {
        try {
          const d = dirs.get(dirname(entry.path));
          renameSync(pathAt(d, basename(entry.temp!)), pathAt(d, name));
        } catch (err) {
          throw StepError.wrap('rename', err, entry.path);
        }
        maybeCrash(fault, { kind: 'after-rename', count: ++renames });
      } else {
        try {
          unlinkSync(pathAt(dirs.get(dirname(entry.path)), name));
        } catch (err) {
          throw StepError.wrap('remove', err, entry.path);
        }
      }
    }
    // One round of syncs, issued once everything is written (SyncBatch says why): each target
    // directory, and a directory the apply created in its parent too, or a power cut after the
    // ack could take it, and the files renamed into it, away from a host recorded as applied.
    const batch = new SyncBatch();
    dirs.syncWith(batch, (err, relDir) => StepError.wrap('fsync', err, join(qmailHome, relDir)));
    for (const parent of new Set(plan.createdDirs.map((d) => dirname(d)))) batch.addDir(join(qmailHome, parent), (err) => StepError.wrap('fsync', err, join(qmailHome, parent)));
    if (signals.length) {
      try {
        batch.add(appendSignals(stateDir, signals), 'fdatasync', (err) => StepError.wrap('record', err));
      } catch (err) {
        batch.discard();
        throw StepError.wrap('record', err);
      }
    }
    await batch.flush();
  } finally {
    dirs.close();
  }
  maybeCrash(fault, { kind: 'before-post-steps' });
}
