import { lstat, mkdir, readFile, readlink, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathAt, randomSuffix } from '@qfleet/qmail';
import { copyFileDurable, fsyncDir, openManagedDir, TEMP_PREFIX, writeJsonAtomic, writeTempDurable } from './durable-fs';
import { realQmailHome } from './safe-path';

/** What a path held before the apply, enough to put it back exactly. */
export type Before =
  | { kind: 'absent' }
  | { kind: 'file'; mode: number; uid: number; gid: number; backup: string }
  | { kind: 'symlink'; target: string };

export interface JournalEntry {
  /** relative to the qmail home */
  path: string;
  action: 'write' | 'remove' | 'generated';
  before: Before;
  /** the temp file beside the target holding the new bytes (writes only), relative to the home */
  temp?: string;
}

/** The plan recorded before the first rename; its presence means "roll back if found at start-up". */
export interface JournalPlan {
  revision: number;
  entries: JournalEntry[];
  /** directories the apply created (control/, users/, alias/...), relative to the home */
  createdDirs: string[];
  /** HUP/restart sent so far: sent again after a rollback so qmail rereads the old files */
  signalled: ('hup' | 'restart')[];
}

export const journalDir = (stateDir: string) => join(stateDir, 'journal');
const planFile = (stateDir: string) => join(journalDir(stateDir), 'plan.json');
const backupPath = (stateDir: string, name: string) => join(journalDir(stateDir), 'backups', name);

export { TEMP_PREFIX };

export async function readPlan(stateDir: string): Promise<JournalPlan | null> {
  try {
    return JSON.parse(await readFile(planFile(stateDir), 'utf8')) as JournalPlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function journalExists(stateDir: string): Promise<boolean> {
  return (await lstat(journalDir(stateDir)).catch(() => null)) !== null;
}

/** An empty journal with its backups directory, ready for snapshot(); any older journal goes. */
export async function startJournal(stateDir: string): Promise<void> {
  await rm(journalDir(stateDir), { recursive: true, force: true });
  await mkdir(dirname(backupPath(stateDir, '0')), { recursive: true, mode: 0o700 });
}

/**
 * Records what each path holds now (after startJournal); regular files are copied into the journal (0600) and fsync'd.
 * Mode and owner come from the descriptor that was copied, so a file swapped for a hard link to
 * a root-only file is restored root-only, never as the alias file's mode and owner. The backup
 * is fsync'd; its name in the backups directory becomes durable with recordPlan's one fsync of it.
 */
export async function snapshot(qmailHome: string, stateDir: string, rel: string, index: number): Promise<Before> {
  const abs = join(qmailHome, rel);
  const stat = await lstat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (!stat) return { kind: 'absent' };
  if (stat.isSymbolicLink()) return { kind: 'symlink', target: await readlink(abs) };
  const backup = String(index);
  const copied = await copyFileDurable(abs, backupPath(stateDir, backup));
  return { kind: 'file', mode: copied.mode & 0o7777, uid: copied.uid, gid: copied.gid, backup };
}

/** Writes the plan, renaming it into place only once the backups' names are durable too. */
export async function recordPlan(stateDir: string, plan: JournalPlan): Promise<void> {
  await writeJsonAtomic(planFile(stateDir), plan, () => fsyncDir(join(journalDir(stateDir), 'backups')).catch(() => undefined));
}

async function sameAsBackup(abs: string, before: Extract<Before, { kind: 'file' }>, backup: Buffer): Promise<boolean> {
  const stat = await lstat(abs).catch(() => null);
  if (!stat?.isFile() || (stat.mode & 0o7777) !== before.mode || stat.uid !== before.uid || stat.gid !== before.gid) return false;
  return (await readFile(abs)).equals(backup);
}

/** Puts one path back as it was, through a temp file and rename so no reader sees half a file. */
async function restore(qmailHome: string, stateDir: string, entry: JournalEntry): Promise<boolean> {
  const abs = join(qmailHome, entry.path);
  const dir = join(qmailHome, dirname(entry.path));
  const { before } = entry;
  if (before.kind === 'absent') {
    const existed = (await lstat(abs).catch(() => null)) !== null;
    await rm(abs, { force: true });
    return existed;
  }
  if (before.kind === 'symlink') {
    const now = await readlink(abs).catch(() => null);
    if (now === before.target) return false;
    // symlink() never follows and fails on an existing name; the random name is ours alone.
    const temp = join(dir, `${TEMP_PREFIX}${randomSuffix()}`);
    await symlink(before.target, temp);
    await rename(temp, abs);
    return true;
  }
  const bytes = await readFile(backupPath(stateDir, before.backup));
  if (await sameAsBackup(abs, before, bytes)) return false;
  const anchor = await openManagedDir(qmailHome, await realQmailHome(qmailHome), dirname(entry.path));
  try {
    const name = await writeTempDurable(anchor, bytes, before.mode, before);
    await rename(pathAt(anchor, name), pathAt(anchor, basename(entry.path)));
  } finally {
    await anchor.close();
  }
  return true;
}

/**
 * Undoes a plan: removes leftover temps, restores every file from its backup (generated cdb
 * files too, DESIGN.md Contract), deletes files that did not exist before. Safe to repeat:
 * paths already as they were are left alone. Returns the paths it put back.
 */
export async function rollBack(qmailHome: string, stateDir: string, plan: JournalPlan): Promise<string[]> {
  const restored: string[] = [];
  const dirs = new Set<string>();
  for (const entry of plan.entries) {
    if (entry.temp) await rm(join(qmailHome, entry.temp), { force: true });
    if (await restore(qmailHome, stateDir, entry)) restored.push(entry.path);
    dirs.add(join(qmailHome, dirname(entry.path)));
  }
  for (const dir of dirs) await fsyncDir(dir).catch(() => undefined);
  for (const dir of [...plan.createdDirs].reverse()) await rmdir(join(qmailHome, dir)).catch(() => undefined);
  return restored;
}

/**
 * Removes the journal. plan.json goes first: a journal without a plan holds nothing to restore,
 * so a crash halfway through this is harmless.
 */
export async function discardJournal(stateDir: string): Promise<void> {
  await rm(planFile(stateDir), { force: true });
  await fsyncDir(journalDir(stateDir)).catch(() => undefined);
  await rm(journalDir(stateDir), { recursive: true, force: true });
}
