import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throwaway qmail home and agent state dir on the real file system. */
export interface QmailTree {
  root: string;
  home: string;
  stateDir: string;
  write(rel: string, content: string, mode?: number): Promise<void>;
  read(rel: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeQmailTree(files: Record<string, string> = {}): Promise<QmailTree> {
  const root = await mkdtemp(join(tmpdir(), 'qfleet-apply-'));
  const home = join(root, 'qmail');
  const stateDir = join(root, 'state');
  await mkdir(home);
  await mkdir(stateDir);
  const tree: QmailTree = {
    root,
    home,
    stateDir,
    async write(rel, content, mode = 0o644) {
      await mkdir(dirname(join(home, rel)), { recursive: true });
      await writeFile(join(home, rel), content);
      await chmod(join(home, rel), mode);
    },
    read: (rel) => readFile(join(home, rel), 'utf8'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  for (const [rel, content] of Object.entries(files)) await tree.write(rel, content);
  return tree;
}

/** A stand-in for a qmail program: a shell script at <home>/bin/<name> (QMAIL.md, top). */
export async function installProgram(home: string, name: string, script: string): Promise<void> {
  await mkdir(join(home, 'bin'), { recursive: true });
  await writeFile(join(home, 'bin', name), `#!/bin/sh\n${script}\n`);
  await chmod(join(home, 'bin', name), 0o755);
}

/** Like qmail-newu: builds users/cdb via users/cdb.tmp and a rename (QMAIL.md §2). */
export const newuThatWorks = 'cd "$(dirname "$0")/.." && { echo "cdb of:"; cat users/assign; } > users/cdb.tmp && mv users/cdb.tmp users/cdb';
/** Like qmail-newu rejecting the file: exit 111, users/cdb untouched (QMAIL.md §2). */
export const newuThatFails = 'echo "qmail-newu: fatal: bad format in users/assign" >&2; exit 111';
export const newmrhThatWorks = 'cd "$(dirname "$0")/.." && cat control/morercpthosts > control/morercpthosts.cdb';

export interface Entry {
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  content?: string;
  mtimeMs?: number;
}

/** Every path under dir with its kind, mode, owner, bytes (or link target) and mtime. */
export async function snapshotTree(dir: string, prefix = ''): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  for (const name of (await readdir(join(dir, prefix)).catch(() => [])).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const abs = join(dir, rel);
    const s = await lstat(abs);
    const base = { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
    if (s.isSymbolicLink()) out[rel] = { kind: 'symlink', ...base, content: await readlink(abs) };
    else if (s.isDirectory()) {
      out[rel] = { kind: 'dir', ...base };
      Object.assign(out, await snapshotTree(dir, rel));
    } else out[rel] = { kind: 'file', ...base, content: await readFile(abs, 'utf8'), mtimeMs: s.mtimeMs };
  }
  return out;
}

/** Polls until check() holds; for events outside our process (supervise, signals). No fixed sleeps. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The same snapshot without mtimes: a rollback rewrites files, it must restore bytes, mode and owner. */
export function withoutMtimes(tree: Record<string, Entry>): Record<string, Entry> {
  return Object.fromEntries(Object.entries(tree).map(([k, entry]) => [k, { ...entry, mtimeMs: undefined }]));
}
