import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { unlink } from 'node:fs/promises';
import { createTempSync, jsonText, renameJsonDurable, writeJsonAtomic, type SyncBatch } from './durable-fs';
import { StepError } from './step-error';
import { sha256 } from './qmail';

/** What the agent last applied: sent in `hello` as appliedRevision (DESIGN.md "Agent protocol"). */
export interface AppliedState {
  revision: number;
  /** sha256 of every file of that revision's managed set */
  files: Record<string, string>;
  /**
   * The id of the last journal plan whose apply completed. A plan found at start-up with this id
   * is finished work, not an interrupted apply (recoverJournal), which is what lets a successful
   * apply drop its journal without a sync.
   */
  journal?: string;
}

const appliedFile = (stateDir: string) => join(stateDir, 'applied.json');

/** Revision 0 and no files when nothing was ever applied. */
export function readApplied(stateDir: string): AppliedState {
  let text: string;
  try {
    text = readFileSync(appliedFile(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { revision: 0, files: {} };
    throw err;
  }
  const parsed = JSON.parse(text) as AppliedState;
  return { revision: parsed.revision, files: parsed.files ?? {} };
}

/** The journal id applied.json names (AppliedState.journal), if any. */
export function appliedJournalId(stateDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(appliedFile(stateDir), 'utf8')) as AppliedState).journal;
  } catch {
    return undefined;
  }
}

/**
 * Records an apply that needed no journal (nothing differed). It keeps the journal id of the
 * last completed apply: that apply's journal was dropped without a sync, and if a crash brings
 * its plan back it must still be recognised as complete.
 */
export function writeApplied(stateDir: string, state: AppliedState): Promise<void> {
  return writeJsonAtomic(appliedFile(stateDir), { ...state, journal: appliedJournalId(stateDir) });
}

/**
 * applied.json's next content (naming the apply's journal id), written to a temp now and synced
 * with the journal (BATCH, prepare), so the end of the apply costs one rename and one directory
 * fsync. Nothing reads it before install() renames it into place.
 */
export function stageApplied(stateDir: string, state: AppliedState & { journal: string }, batch: SyncBatch): StagedApplied {
  let temp;
  try {
    temp = createTempSync(stateDir, jsonText(state), 0o600);
  } catch (err) {
    throw StepError.wrap('record', err);
  }
  batch.add(temp.fd, 'fsync', (err) => StepError.wrap('record', err));
  const staged = temp.name;
  return {
    install: () => renameJsonDurable(appliedFile(stateDir), staged),
    discard: () => unlink(join(stateDir, staged)).catch(() => undefined),
  };
}

export interface StagedApplied {
  /** renames it into place and fsyncs the state directory: from then on the apply is complete */
  install(): Promise<void>;
  /** removes the staged temp of an apply that failed */
  discard(): Promise<void>;
}

/** sha256 of each managed file on disk, for `hello.files`; an absent file is left out (protocol). */
export function hashManagedFiles(qmailHome: string, paths: string[]): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const rel of paths) {
    try {
      hashes[rel] = hashInside(qmailHome, join(qmailHome, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
  }
  return hashes;
}

/**
 * A managed name that is a link out of the qmail home (the alias user owns `~alias` and can plant
 * one) is hashed by its link text, not by what it points at: the hash of a root-only file must
 * not leave the host, and the mismatch shows as drift. Links inside the home (LWQ's
 * `.qmail-mailer-daemon -> .qmail-postmaster`) are hashed by content, as qmail reads them.
 */
function hashInside(qmailHome: string, file: string): string {
  if (!lstatSync(file).isSymbolicLink()) return sha256(readFileSync(file));
  const home = realpathSync(qmailHome);
  const target = realpathSync(file);
  if (target.startsWith(home + sep)) return sha256(readFileSync(target));
  return sha256(Buffer.from(`symlink:${readlinkSync(file)}`));
}
