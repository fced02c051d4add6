import { lstat, mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PostStep } from '@qfleet/protocol';
import type { Change } from './changes';
import { FS_CONCURRENCY, mapConcurrent } from './concurrent';
import { maybeCrash } from './fault';
import { ManagedDirs, writeTempDurable } from './durable-fs';
import { discardJournal, readBefore, sealJournal, startJournal, writeBackup, writePlan, type JournalEntry, type JournalPlan } from './journal';
import { GENERATED_BY } from './qmail';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';

/**
 * Creates the missing directories of rel's parent, one level at a time, and returns them.
 * EXISTING holds the directories known to exist, so K files in one directory cost one lstat.
 */
async function ensureParent(qmailHome: string, rel: string, existing: Set<string>): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = dirname(rel); dir !== '.' && !existing.has(dir); dir = dirname(dir)) {
    if (await lstat(join(qmailHome, dir)).catch(() => null)) {
      existing.add(dir);
      break;
    }
    missing.unshift(dir);
  }
  for (const dir of missing) {
    await mkdir(join(qmailHome, dir), { mode: 0o755 });
    existing.add(dir);
  }
  return missing;
}

/**
 * Everything before the first rename: back up what will be replaced or removed (and the cdb
 * files the post-steps will regenerate, so a rollback restores them too, DESIGN.md Contract),
 * write each new file to a temp name beside its target, and record the plan. Nothing the qmail
 * programs read changes here. The order that matters is only this: every backup, temp and the
 * plan synced, then sealJournal, then (in commit) the first rename. So what each path holds is
 * read first (no syncs), and then backups, temps and the plan are written and synced all at
 * once, FS_CONCURRENCY targets at a time: fsyncs issued together share the file system's
 * journal flushes, and an apply of one file waits for one round of syncs here, not three.
 */
export async function prepare(qmailHome: string, stateDir: string, revision: number, changes: Change[], steps: PostStep[], id: string, fault?: string): Promise<JournalPlan> {
  const plan: JournalPlan = { id, revision, entries: [], createdDirs: [], signalled: [] };
  let current: string | undefined;
  const named = (path: string) => (err: unknown) => Promise.reject(StepError.wrap('prepare', err, path));
  try {
    await startJournal(stateDir);
    const changed = new Set(changes.map((c) => c.path));
    const generated = Object.entries(GENERATED_BY)
      .filter(([path, g]) => steps.includes(g.step) && !changed.has(path))
      .map(([path]) => path);
    const targets: { path: string; action: JournalEntry['action'] }[] = [...changes, ...generated.map((path) => ({ path, action: 'generated' as const }))];
    plan.entries = targets.map((target) => ({ path: target.path, action: target.action, before: { kind: 'absent' } }));

    const existing = new Set<string>();
    for (const change of changes) {
      if (change.action !== 'write') continue;
      current = change.path;
      plan.createdDirs.push(...(await ensureParent(qmailHome, change.path, existing)));
    }
    current = undefined;
    const writes = new Map(changes.flatMap((c) => (c.action === 'write' ? [[c.path, c] as const] : [])));
    // Reads only; the backups' bytes are held until they are written below.
    const held = await mapConcurrent(plan.entries, FS_CONCURRENCY, (entry, index) => readBefore(qmailHome, entry.path, index).catch(named(entry.path)));
    plan.entries.forEach((entry, index) => (entry.before = held[index].before));
    const dirs = new ManagedDirs(qmailHome, await realQmailHome(qmailHome));
    try {
      // The plan is written while its backups are: each entry names its backup's sha256, so a
      // backup a crash left short is never restored (it can only be short before sealJournal,
      // when nothing was renamed yet). A path that did not exist has no backup and no sync.
      // allSettled: the cleanup below must not race a write still in flight.
      const settled = await Promise.allSettled([
        writePlan(stateDir, plan),
        mapConcurrent(plan.entries, FS_CONCURRENCY, async (entry, index) => {
          const { before, bytes } = held[index];
          const backup = before.kind === 'file' && bytes ? writeBackup(stateDir, before, bytes).catch(named(entry.path)) : undefined;
          const change = writes.get(entry.path);
          const temp = change
            ? dirs
                .get(dirname(change.path))
                // A replaced file keeps its owner (Contract); a new one belongs to the agent's user.
                .then((dir) => writeTempDurable(dir, change.content, change.mode, before.kind === 'file' ? before : undefined))
                .then((name) => (entry.temp = join(dirname(change.path), name)))
                .catch(named(change.path))
            : undefined;
          // Both settle before this target counts as done, so a failure never leaves a write in flight.
          const [b, t] = await Promise.allSettled([backup, temp]);
          if (b.status === 'rejected') throw b.reason;
          if (t.status === 'rejected') throw t.reason;
        }),
      ]);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      await dirs.close();
    }
    // A crash up to here leaves the live files untouched: at start-up the plan reads as none (torn)
    // or is rolled back with no effect (restore skips short backups and unchanged paths), and the
    // temps are swept. After sealJournal every crash finds a whole plan and whole backups.
    maybeCrash(fault, { kind: 'before-seal' });
    await sealJournal(stateDir);
    return plan;
  } catch (err) {
    for (const entry of plan.entries) if (entry.temp) await rm(join(qmailHome, entry.temp), { force: true });
    for (const dir of [...plan.createdDirs].reverse()) await rmdir(join(qmailHome, dir)).catch(() => undefined);
    await discardJournal(stateDir).catch(() => undefined);
    throw StepError.wrap('prepare', err, current);
  }
}
