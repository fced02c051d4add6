import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { writeJsonAtomic } from './durable-fs';
import { sha256 } from './qmail';

/** What the agent last applied: sent in `hello` as appliedRevision (DESIGN.md "Agent protocol"). */
export interface AppliedState {
  revision: number;
  /** sha256 of every file of that revision's managed set */
  files: Record<string, string>;
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

export function writeApplied(stateDir: string, state: AppliedState): Promise<void> {
  return writeJsonAtomic(appliedFile(stateDir), state);
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
