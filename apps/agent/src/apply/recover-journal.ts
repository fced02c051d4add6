import { readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ApplyContext } from './apply-context';
import { appliedJournalId } from './applied-state';
import { discardJournal, journalExists, readPlan, TEMP_PREFIX } from './journal';
import { undoPlan } from './roll-back';

const MANAGED_DIRS = ['control', 'users', 'alias', 'alias/qfleet'];

/** Temp files are only ever named TEMP_PREFIX…, beside their targets in the managed directories. */
async function sweepTemps(qmailHome: string, dirs: Iterable<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of new Set(dirs)) {
    const names = await readdir(join(qmailHome, dir)).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
      // unlink removes the name only (a planted link's target is untouched); a directory the alias
      // user made under our prefix is left alone rather than stopping the recovery.
      const gone = await unlink(join(qmailHome, dir, name)).then(
        () => true,
        () => false,
      );
      if (gone) removed.push(join(dir, name));
    }
  }
  return removed;
}

/**
 * At start-up, a journal means the agent died mid-apply (DESIGN.md "The agent: applying
 * safely"). We always roll back: it is always safe, and the controller resends the newest
 * revision on reconnect. A journal without a plan died before its first rename (or after its
 * success was recorded), so only temp files are left to clean: that returns 'none'. A plan
 * whose id applied.json names belongs to an apply that completed (its journal is dropped without
 * a sync, and a crash may bring it back): it is discarded, not rolled back, and returns 'none'.
 */
export async function recoverJournal(ctx: ApplyContext): Promise<'none' | 'rolled-back'> {
  if (!(await journalExists(ctx.stateDir))) return 'none';
  const found = await readPlan(ctx.stateDir);
  const completed = found?.id !== undefined && found.id === appliedJournalId(ctx.stateDir);
  const plan = completed ? null : found;
  if (plan) await undoPlan(ctx, plan, 'journal found at start-up');
  else if (completed) ctx.log(`journal of revision ${found.revision} found at start-up: that apply had completed, nothing to roll back`);
  else ctx.log('journal without a plan found at start-up: no file had been replaced');
  const temps = await sweepTemps(ctx.qmailHome, [...MANAGED_DIRS, ...(found?.entries ?? []).map((e) => dirname(e.path))]);
  if (temps.length) ctx.log(`removed leftover temp files: ${temps.join(', ')}`);
  const stateTemps = await sweepStateTemps(ctx.stateDir);
  if (stateTemps.length) ctx.log(`removed leftover temp files of the state directory: ${stateTemps.join(', ')}`);
  await discardJournal(ctx.stateDir);
  return plan ? 'rolled-back' : 'none';
}

/** An apply that died leaves applied.json's staged next content (stageApplied) as a temp here. */
async function sweepStateTemps(stateDir: string): Promise<string[]> {
  const names = await readdir(stateDir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    if (await unlink(join(stateDir, name)).then(() => true, () => false)) removed.push(name);
  }
  return removed;
}
