import { mkdirSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PostStep } from '@qfleet/protocol';
import type { Change } from './changes';
import { maybeCrash } from './fault';
import { createTempSync, lstatOrNullSync, ManagedDirs, type SyncBatch } from './durable-fs';
import { createBackup, createPlan, discardJournal, journalDir, readBefore, startJournal, type Held, type JournalEntry, type JournalPlan } from './journal';
import { GENERATED_BY } from './qmail';
import { realQmailHome } from './safe-path';
import { StepError } from './step-error';
import { turnEvery } from './turns';

/**
 * Creates the missing directories of rel's parent, one level at a time, and returns them.
 * EXISTING holds the directories known to exist, so K files in one directory cost one lstat.
 */
async function ensureParent(qmailHome: string, rel: string, existing: Set<string>): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = dirname(rel); dir !== '.' && !existing.has(dir); dir = dirname(dir)) {
    if (lstatOrNullSync(join(qmailHome, dir))) {
      existing.add(dir);
      break;
    }
    missing.unshift(dir);
  }
  for (const dir of missing) {
    mkdirSync(join(qmailHome, dir), { mode: 0o755 });
    existing.add(dir);
  }
  return missing;
}

/**
 * Everything before the first rename: back up what will be replaced or removed (and the cdb
 * files the post-steps will regenerate, so a rollback restores them too, DESIGN.md Contract),
 * write each new file to a temp name beside its target, and record the plan. Nothing the qmail
 * programs read changes here. The order that matters is only this: every backup, temp and the
 * plan durable, with their names (the journal and state directories synced), before the first
 * rename (commit). So what each path holds is read first, then every backup, temp and the plan
 * is created and written, and then all of it is synced at once with whatever the caller put in
 * BATCH (applied.json's next content): one round of syncs, which one journal commit can serve.
 * Any subset of it may reach the disk before a crash; that is the state a crash before the sync
 * leaves (readPlan, restore), and no rename has happened yet.
 */
export async function prepare(qmailHome: string, stateDir: string, revision: number, changes: Change[], steps: PostStep[], id: string, batch: SyncBatch, fault?: string): Promise<JournalPlan> {
  const plan: JournalPlan = { id, revision, entries: [], createdDirs: [], signalled: [] };
  let current: string | undefined;
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
    const writes = new Map(changes.flatMap((c) => (c.action === 'write' ? [[c.path, c] as const] : [])));
    // Reads only; the backups' bytes are held until they are written below.
    const held: Held[] = [];
    for (const [index, entry] of plan.entries.entries()) {
      await turnEvery(index);
      current = entry.path;
      held.push(await readBefore(qmailHome, entry.path, index));
      entry.before = held[index].before;
    }
    const dirs = new ManagedDirs(qmailHome, await realQmailHome(qmailHome));
    try {
      for (const [index, entry] of plan.entries.entries()) {
        // A bounded number of descriptors open at once: a revision may name 100,000 files.
        if (batch.full) await batch.flush();
        else await turnEvery(index);
        current = entry.path;
        const { before, bytes } = held[index];
        // The plan names each backup's sha256, so a backup a crash left short is never restored.
        if (before.kind === 'file' && bytes) batch.add(createBackup(stateDir, before, bytes), 'fdatasync', named(entry.path));
        const change = writes.get(entry.path);
        if (!change) continue;
        // A replaced file keeps its owner (Contract); a new one belongs to the agent's user.
        const temp = createTempSync(dirs.get(dirname(change.path)), change.content, change.mode, before.kind === 'file' ? before : undefined);
        entry.temp = join(dirname(change.path), temp.name);
        batch.add(temp.fd, 'fsync', named(change.path));
      }
      current = undefined;
      batch.add(createPlan(stateDir, plan), 'fdatasync');
    } finally {
      dirs.close();
    }
    batch.addDir(journalDir(stateDir));
    batch.addDir(stateDir);
    // A crash up to the end of the flush leaves the live files untouched: at start-up the plan
    // reads as none (torn) or is rolled back with no effect (restore skips short backups and
    // unchanged paths), and the temps are swept.
    maybeCrash(fault, { kind: 'before-seal' });
    await batch.flush();
    return plan;
  } catch (err) {
    batch.discard();
    for (const entry of plan.entries) if (entry.temp) await rm(join(qmailHome, entry.temp), { force: true });
    for (const dir of [...plan.createdDirs].reverse()) await rmdir(join(qmailHome, dir)).catch(() => undefined);
    await discardJournal(stateDir).catch(() => undefined);
    throw StepError.wrap('prepare', err, current);
  }
}

const named = (path: string) => (err: unknown) => StepError.wrap('prepare', err, path);
