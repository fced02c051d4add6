import { lstat, mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PostStep } from '@qfleet/protocol';
import type { Change } from './changes';
import { openManagedDir, writeTempDurable } from './durable-fs';
import { discardJournal, journalDir, recordPlan, snapshot, type JournalEntry, type JournalPlan } from './journal';
import { GENERATED_BY } from './qmail';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';

/** Creates the missing directories of rel's parent, one level at a time, and returns them. */
async function ensureParent(qmailHome: string, rel: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = dirname(rel); dir !== '.'; dir = dirname(dir)) {
    if (await lstat(join(qmailHome, dir)).catch(() => null)) break;
    missing.unshift(dir);
  }
  for (const dir of missing) await mkdir(join(qmailHome, dir), { mode: 0o755 });
  return missing;
}

/**
 * Everything before the first rename: back up what will be replaced or removed (and the cdb
 * files the post-steps will regenerate, so a rollback restores them too, DESIGN.md Contract),
 * write each new file to a temp name beside its target, fsync, and record the plan last, so a
 * plan on disk always has complete backups. Nothing the qmail programs read changes here.
 */
export async function prepare(qmailHome: string, stateDir: string, revision: number, changes: Change[], steps: PostStep[]): Promise<JournalPlan> {
  const plan: JournalPlan = { revision, entries: [], createdDirs: [], signalled: [] };
  let current: string | undefined;
  try {
    await rm(journalDir(stateDir), { recursive: true, force: true });
    await mkdir(journalDir(stateDir), { recursive: true, mode: 0o700 });
    const generated = Object.entries(GENERATED_BY)
      .filter(([path, g]) => steps.includes(g.step) && !changes.some((c) => c.path === path))
      .map(([path]) => path);
    const targets: { path: string; action: JournalEntry['action'] }[] = [...changes, ...generated.map((path) => ({ path, action: 'generated' as const }))];
    for (const [index, target] of targets.entries()) {
      current = target.path;
      const before = await snapshot(qmailHome, stateDir, target.path, index);
      plan.entries.push({ path: target.path, action: target.action, before });
    }
    const realHome = await realQmailHome(qmailHome);
    for (const change of changes) {
      if (change.action !== 'write') continue;
      current = change.path;
      plan.createdDirs.push(...(await ensureParent(qmailHome, change.path)));
      const entry = plan.entries.find((e) => e.path === change.path)!;
      // A replaced file keeps its owner (Contract); a new one belongs to the agent's user.
      const owner = entry.before.kind === 'file' ? entry.before : undefined;
      const dir = await openManagedDir(qmailHome, realHome, dirname(change.path));
      try {
        entry.temp = join(dirname(change.path), await writeTempDurable(dir, change.content, change.mode, owner));
      } finally {
        await dir.close();
      }
    }
    current = undefined;
    await recordPlan(stateDir, plan);
    return plan;
  } catch (err) {
    for (const entry of plan.entries) if (entry.temp) await rm(join(qmailHome, entry.temp), { force: true });
    for (const dir of [...plan.createdDirs].reverse()) await rmdir(join(qmailHome, dir)).catch(() => undefined);
    await discardJournal(stateDir).catch(() => undefined);
    throw StepError.wrap('prepare', err, current);
  }
}
