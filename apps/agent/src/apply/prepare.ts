import { lstat, mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PostStep } from '@qfleet/protocol';
import type { Change } from './changes';
import { FS_CONCURRENCY, mapConcurrent } from './concurrent';
import { ManagedDirs, writeTempDurable } from './durable-fs';
import { discardJournal, recordPlan, snapshot, startJournal, type JournalEntry, type JournalPlan } from './journal';
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
 * write each new file to a temp name beside its target, fsync, and record the plan last, so a
 * plan on disk always has complete backups. Nothing the qmail programs read changes here.
 * Targets are prepared FS_CONCURRENCY at a time: their fsyncs share the file system's journal flushes.
 */
export async function prepare(qmailHome: string, stateDir: string, revision: number, changes: Change[], steps: PostStep[]): Promise<JournalPlan> {
  const plan: JournalPlan = { revision, entries: [], createdDirs: [], signalled: [] };
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
    const dirs = new ManagedDirs(qmailHome, await realQmailHome(qmailHome));
    try {
      // Each target's backup, then its temp: the temp only needs the backup's owner, and nothing
      // is replaced before recordPlan, so both run alongside the other targets'.
      await mapConcurrent(plan.entries, FS_CONCURRENCY, async (entry, index) => {
        entry.before = await snapshot(qmailHome, stateDir, entry.path, index).catch(named(entry.path));
        const change = writes.get(entry.path);
        if (!change) return;
        // A replaced file keeps its owner (Contract); a new one belongs to the agent's user.
        const owner = entry.before.kind === 'file' ? entry.before : undefined;
        const dir = await dirs.get(dirname(change.path)).catch(named(change.path));
        entry.temp = join(dirname(change.path), await writeTempDurable(dir, change.content, change.mode, owner).catch(named(change.path)));
      });
    } finally {
      await dirs.close();
    }
    await recordPlan(stateDir, plan);
    return plan;
  } catch (err) {
    for (const entry of plan.entries) if (entry.temp) await rm(join(qmailHome, entry.temp), { force: true });
    for (const dir of [...plan.createdDirs].reverse()) await rmdir(join(qmailHome, dir)).catch(() => undefined);
    await discardJournal(stateDir).catch(() => undefined);
    throw StepError.wrap('prepare', err, current);
  }
}
