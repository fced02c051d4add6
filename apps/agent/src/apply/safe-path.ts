import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { MAX_FILE_NAME_LENGTH } from '@qfleet/protocol';
import { lstatOrNullSync } from './durable-fs';
import { isManagedPath } from './qmail';
import { turnEvery } from './turns';

/** A path the controller sent that the agent refuses to touch (STYLE.md: errors that name the thing). */
export class UnsafePath extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${JSON.stringify(path)} ${reason}`);
  }
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root + sep);
}

/** The real path of the qmail home; it must exist, the agent never creates it. */
export async function realQmailHome(qmailHome: string): Promise<string> {
  try {
    return realpathSync(qmailHome);
  } catch {
    throw new UnsafePath(qmailHome, 'is not an existing qmail home');
  }
}

/** The real path of the nearest existing ancestor of DIR (DIR itself if it exists); missing directories below it are created by us. */
async function realParent(dir: string): Promise<string> {
  while (!lstatOrNullSync(dir)) dir = dirname(dir);
  return realpathSync(dir);
}

/**
 * Checks one path against the managed namespace and the file system (DESIGN.md "The agent:
 * applying safely": no `..`, no absolute paths, no symlinks followed out of the qmail home).
 * The parent directory is resolved with realpath, so a symlinked `control/` pointing elsewhere
 * is refused; the file itself may be a symlink (LWQ links `.qmail-mailer-daemon` to
 * `.qmail-postmaster`, QMAIL.md §3), since rename replaces the link, not what it points to.
 */
export async function checkPath(qmailHome: string, realHome: string, rel: string, realDirs = new Map<string, Promise<string>>()): Promise<void> {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0') || isAbsolute(rel) || rel.includes('\\')) {
    throw new UnsafePath(rel, 'must be a relative path inside the qmail home');
  }
  if (rel.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new UnsafePath(rel, 'must not contain "..", "." or empty segments');
  }
  // NAME_MAX, the limit the API checks alias names against too (libs/protocol limits).
  if (rel.split('/').some((name) => name.length > MAX_FILE_NAME_LENGTH)) throw new UnsafePath(rel, `has a name longer than ${MAX_FILE_NAME_LENGTH} characters`);
  if (!isManagedPath(rel)) throw new UnsafePath(rel, 'is not a file qfleet manages');
  const target = join(qmailHome, rel);
  if (!inside(resolve(qmailHome), resolve(target))) throw new UnsafePath(rel, 'leaves the qmail home');

  let realDir = realDirs.get(dirname(target));
  if (!realDir) {
    realDir = realParent(dirname(target));
    realDirs.set(dirname(target), realDir);
  }
  if (!inside(realHome, await realDir)) throw new UnsafePath(rel, `resolves outside the qmail home (through ${await realDir})`);

  if (lstatOrNullSync(target)?.isDirectory()) throw new UnsafePath(rel, 'is a directory');
}

/** Checks every path of a revision; the first problem wins, nothing has been touched yet. */
export async function checkPaths(qmailHome: string, paths: string[]): Promise<void> {
  const realHome = await realQmailHome(qmailHome);
  const seen = new Set<string>();
  // One resolution per directory: a revision names many files in alias/ and few directories.
  const realDirs = new Map<string, Promise<string>>();
  for (const [i, rel] of paths.entries()) {
    await turnEvery(i);
    if (seen.has(rel)) throw new UnsafePath(rel, 'is named twice in one revision');
    seen.add(rel);
    await checkPath(qmailHome, realHome, rel, realDirs);
  }
}
