import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { lstat, readFile, readlink, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathAt, randomSuffix, UnsafeFile } from '@qfleet/qmail';
import { fsyncDir, jsonText, openManagedDir, READ_NOWAIT, TEMP_PREFIX, writeAllSync, writeTempDurable } from './durable-fs';
import { sha256 } from './qmail';
import { realQmailHome } from './safe-path';

/** What a path held before the apply, enough to put it back exactly. */
export type Before =
  | { kind: 'absent' }
  | { kind: 'file'; mode: number; uid: number; gid: number; backup: string; sha256?: string }
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
  /** names this apply: applied.json carries it once the apply is complete (see recoverJournal) */
  id?: string;
  revision: number;
  entries: JournalEntry[];
  /** directories the apply created (control/, users/, alias/...), relative to the home */
  createdDirs: string[];
  /** HUP/restart that may have been sent: sent again after a rollback so qmail rereads the old files */
  signalled: ('hup' | 'restart')[];
}

export const journalDir = (stateDir: string) => join(stateDir, 'journal');
const planFile = (stateDir: string) => join(journalDir(stateDir), 'plan.json');
const signalledFile = (stateDir: string) => join(journalDir(stateDir), 'signalled');
/**
 * Backups sit in the journal directory itself, beside plan.json, so one fsync of that directory
 * makes every backup's name and the plan's durable together. A plan without sha256 in its
 * entries was written by an older agent, which kept its backups in journal/backups/.
 */
const backupPath = (stateDir: string, before: { backup: string; sha256?: string }) =>
  before.sha256 === undefined ? join(journalDir(stateDir), 'backups', before.backup) : join(journalDir(stateDir), `backup.${before.backup}`);
const SIGNALS = ['hup', 'restart'] as const;

export { TEMP_PREFIX };

/**
 * The recorded plan, or null when there is none. A plan that does not parse was torn by a crash
 * while it was written: it is synced (with the journal directory, in prepare's batch) before the first
 * rename, so a torn plan means no file was replaced, the same as no plan.
 */
export async function readPlan(stateDir: string): Promise<JournalPlan | null> {
  let plan: JournalPlan;
  try {
    plan = JSON.parse(await readFile(planFile(stateDir), 'utf8')) as JournalPlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return null;
    throw err;
  }
  const signalled = await readFile(signalledFile(stateDir), 'utf8').catch(() => '');
  for (const step of SIGNALS) if (signalled.split('\n').includes(step) && !plan.signalled.includes(step)) plan.signalled.push(step);
  return plan;
}

export async function journalExists(stateDir: string): Promise<boolean> {
  return lstatSync(journalDir(stateDir), { throwIfNoEntry: false }) !== undefined;
}

/** An empty journal directory, ready for readBefore/createBackup/createPlan; any older journal goes. */
export async function startJournal(stateDir: string): Promise<void> {
  rmSync(journalDir(stateDir), { recursive: true, force: true });
  mkdirSync(journalDir(stateDir), { recursive: true, mode: 0o700 });
}

/** What a path holds now, and for a regular file the bytes its backup must keep. */
export interface Held {
  before: Before;
  bytes?: Buffer;
}

/**
 * Reads what REL holds now (after startJournal). Mode and owner come from the descriptor that
 * was read, so a file swapped for a hard link to a root-only file is restored root-only, never
 * as the alias file's mode and owner. Nothing is written here: the backup is written by
 * createBackup, alongside the plan (which records the backup's sha256).
 */
export async function readBefore(qmailHome: string, rel: string, index: number): Promise<Held> {
  const abs = join(qmailHome, rel);
  const stat = lstatSync(abs, { throwIfNoEntry: false });
  if (!stat) return { before: { kind: 'absent' } };
  if (stat.isSymbolicLink()) return { before: { kind: 'symlink', target: readlinkSync(abs) } };
  let src: number;
  try {
    src = openSync(abs, READ_NOWAIT);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'ELOOP' ? new UnsafeFile(abs, 'became a symbolic link while it was backed up') : err;
  }
  try {
    const held = fstatSync(src);
    if (!held.isFile()) throw new UnsafeFile(abs, 'is not a regular file');
    const bytes = readFileSync(src);
    return { before: { kind: 'file', mode: held.mode & 0o7777, uid: held.uid, gid: held.gid, backup: String(index), sha256: sha256(bytes) }, bytes };
  } finally {
    closeSync(src);
  }
}

/**
 * Creates one backup (0600, exclusive) and writes its bytes; the caller fdatasyncs the returned
 * descriptor with the rest of the journal (prepare). Its mode, owner and times do not matter (the
 * plan records the original's), only its bytes and size, which fdatasync makes durable. Its name
 * becomes durable with the journal directory's fsync in that same batch, before any rename.
 */
export function createBackup(stateDir: string, before: Extract<Before, { kind: 'file' }>, bytes: Buffer): number {
  const fd = openSync(backupPath(stateDir, before), 'wx', 0o600);
  try {
    writeAllSync(fd, bytes);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * Writes plan.json straight into the fresh journal directory (no temp and rename: a torn plan
 * reads as none, see readPlan) and returns its descriptor, for the caller to fdatasync together
 * with the backups it names: each entry carries its backup's sha256, so a backup that a crash
 * left short is recognised at rollback (restore). The temps' names are left out: recovery sweeps
 * every temp of the managed directories. An empty `signalled` file is created with it, so
 * recording a signal needs one fdatasync and no directory sync. Both names become durable with
 * the journal directory's fsync in the same batch; after that batch the first rename may happen:
 * a crash from then on finds a complete plan and complete backups. (The state directory is synced
 * in that batch too: startJournal created the journal directory anew.)
 */
export function createPlan(stateDir: string, plan: JournalPlan): number {
  const recorded: JournalPlan = { ...plan, entries: plan.entries.map((entry) => ({ path: entry.path, action: entry.action, before: entry.before })) };
  closeSync(openSync(signalledFile(stateDir), 'wx', 0o600));
  const fd = openSync(planFile(stateDir), 'wx', 0o600);
  try {
    writeAllSync(fd, jsonText(recorded));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * Records HUP/restart as possibly sent, so a rollback after a crash repeats them: appended to the
 * `signalled` file createPlan made (durable name, so an fdatasync of the returned descriptor
 * covers the new size). A crash before that sync at worst loses this record, and the signal is
 * only sent after it.
 */
export function appendSignals(stateDir: string, steps: readonly string[]): number {
  const fd = openSync(signalledFile(stateDir), 'a');
  try {
    writeAllSync(fd, steps.map((s) => `${s}\n`).join(''));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
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
  const bytes = await readFile(backupPath(stateDir, before)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' && before.sha256 !== undefined) return null;
    throw err;
  });
  // A backup missing or short of its recorded sha256 was still being written when the agent
  // died: prepare's syncs had not all returned, so no file was renamed yet and the path is as it was.
  if (bytes === null || (before.sha256 !== undefined && sha256(bytes) !== before.sha256)) return false;
  if (await sameAsBackup(abs, before, bytes)) return false;
  const anchor = openManagedDir(qmailHome, await realQmailHome(qmailHome), dirname(entry.path));
  try {
    const name = await writeTempDurable(anchor, bytes, before.mode, before);
    await rename(pathAt(anchor, name), pathAt(anchor, basename(entry.path)));
  } finally {
    closeSync(anchor.fd);
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
 * Removes the journal after a rollback. plan.json goes first, durably: a journal without a plan
 * holds nothing to restore, so a crash halfway through this is harmless.
 */
export async function discardJournal(stateDir: string): Promise<void> {
  await rm(planFile(stateDir), { force: true });
  await fsyncDir(journalDir(stateDir)).catch(() => undefined);
  await rm(journalDir(stateDir), { recursive: true, force: true });
}

/**
 * Removes the journal of a completed apply, with no sync: applied.json already names this plan's
 * id durably (installApplied), so a plan that a crash brings back, whole or with some backups
 * gone, is recognised as complete by recoverJournal and discarded, never rolled back.
 */
export async function dropCompletedJournal(stateDir: string): Promise<void> {
  rmSync(journalDir(stateDir), { recursive: true, force: true });
}
