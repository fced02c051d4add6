import { execFileSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigApply, FileEntry } from '@qfleet/protocol';
import { createPostStepRunner } from '../post-steps';
import { appliesSettled, applyRevision, hashManagedFiles, recoverJournal, type ApplyContext } from '.';
import { sha256 } from './qmail';
import { installProgram, makeQmailTree, newuThatFails, snapshotTree, type QmailTree } from './test-support/qmail-tree';

/**
 * Issue 10: the agent runs as root, and ~alias belongs to the alias user, who can plant links and
 * hard links at any name inside it at any moment. These tests play that user with real uids.
 */

const ALIAS_UID = 1000;
let tree: QmailTree;

function context(): ApplyContext {
  const log = () => undefined;
  return { qmailHome: tree.home, stateDir: tree.stateDir, log, postSteps: createPostStepRunner({ qmailHome: tree.home, log }) };
}
const file = (path: string, content: string, mode = 0o644): FileEntry => ({ path, content, mode });
const revision = (revision: number, files: FileEntry[], removes: string[] = []): ConfigApply => ({ revision, files, removes, postSteps: [] });

/** A root-only file the alias user must never get to read or write through the agent. */
async function rootOnlyFile(content: string): Promise<string> {
  const path = join(tree.root, 'root-only-secret');
  await writeFile(path, content);
  await chmod(path, 0o600);
  return path;
}

const asRoot = process.getuid?.() === 0;
const rootIt = asRoot ? it : it.skip;

describe('applying into an alias directory the alias user owns', () => {
  beforeEach(async () => {
    tree = await makeQmailTree({ 'control/me': 'mail.example.com\n', 'alias/.qmail-sales': '&sales@example.net\n' });
    await chown(join(tree.home, 'alias'), ALIAS_UID, ALIAS_UID);
  });
  afterEach(() => tree.cleanup());

  rootIt('does not follow a link planted at a temp name: the link target keeps its bytes, mode and owner', async () => {
    const secret = await rootOnlyFile('root:SECRET\n');
    // The names the agent used to write to, predictable from the revision number.
    for (const name of ['.qfleet-tmp..qmail-sales.2', '.qfleet-tmp..qmail-sales.3', '.qfleet-tmp.restore..qmail-sales']) {
      await symlink(secret, join(tree.home, 'alias', name));
    }

    const ack = await applyRevision(context(), revision(2, [file('control/me', 'mail.example.com\n'), file('alias/.qmail-sales', '|/bin/evil\n')]));

    expect(ack).toMatchObject({ ok: true, changed: ['alias/.qmail-sales'] });
    const st = await lstat(secret);
    expect([await readFile(secret, 'utf8'), st.mode & 0o777, st.uid, st.nlink]).toEqual(['root:SECRET\n', 0o600, 0, 1]);
    const written = await lstat(join(tree.home, 'alias/.qmail-sales'));
    expect(written.isFile()).toBe(true);
    expect(await tree.read('alias/.qmail-sales')).toBe('|/bin/evil\n');
    // The planted links are still links; no temp of ours is left behind.
    const names = (await readdir(join(tree.home, 'alias'))).sort();
    expect(names).toEqual(['.qfleet-tmp..qmail-sales.2', '.qfleet-tmp..qmail-sales.3', '.qfleet-tmp.restore..qmail-sales', '.qmail-sales']);
  });

  rootIt('refuses to write into an alias/qfleet that the alias user swapped for a directory of their own', async () => {
    await mkdir(join(tree.home, 'alias/qfleet'));
    await chown(join(tree.home, 'alias/qfleet'), ALIAS_UID, ALIAS_UID);

    const ack = await applyRevision(context(), revision(2, [file('alias/qfleet/autoreply-sales', '{}\n')]));

    expect(ack).toMatchObject({ ok: false, changed: [], error: { step: 'prepare', file: 'alias/qfleet/autoreply-sales' } });
    expect(ack.error!.message).toBe(`${join(tree.home, 'alias/qfleet')}: belongs to uid ${ALIAS_UID}, not 0; refused`);
    expect(await readdir(join(tree.home, 'alias/qfleet'))).toEqual([]);
  });

  rootIt('recovers from a crash even when the alias user planted a directory under the temp prefix', async () => {
    await mkdir(join(tree.stateDir, 'journal'));
    await mkdir(join(tree.home, 'alias/.qfleet-tmp.planted'));
    await writeFile(join(tree.home, 'alias/.qfleet-tmp.0123'), 'half');

    expect(await recoverJournal(context())).toBe('none');
    expect((await readdir(join(tree.home, 'alias'))).sort()).toEqual(['.qfleet-tmp.planted', '.qmail-sales']);
  });

  rootIt('restores a file that was a hard link to a root-only file with its real mode and owner, never readable through the alias file', async () => {
    const secret = await rootOnlyFile('root:SECRET\n');
    await rm(join(tree.home, 'alias/.qmail-sales'));
    await link(secret, join(tree.home, 'alias/.qmail-sales'));
    await installProgram(tree.home, 'qmail-newu', newuThatFails);

    const ack = await applyRevision(context(), revision(2, [file('alias/.qmail-sales', 'ops\n'), file('users/assign', '=joe:joe:503:78:/home/joe:::\n.\n')]));

    expect(ack).toMatchObject({ ok: false, error: { step: 'qmail-newu' } });
    const restored = await lstat(join(tree.home, 'alias/.qmail-sales'));
    expect([restored.mode & 0o777, restored.uid]).toEqual([0o600, 0]);
    expect(await readFile(secret, 'utf8')).toBe('root:SECRET\n');
  });
});

/** Whether this process may mount a tmpfs (root in a container may not). */
function canMountTmpfs(): boolean {
  if (!asRoot) return false;
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir]);
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rmdir', [dir]);
  }
}

const mountable = canMountTmpfs();
if (!mountable) console.warn('hostile-fs.spec: cannot mount a tmpfs here (not root, or mount not permitted): the full-filesystem test is skipped');

describe('a full file system during an apply', () => {
  let mounted = false;
  beforeEach(async () => {
    tree = await makeQmailTree();
  });
  afterEach(async () => {
    if (mounted) execFileSync('umount', [tree.home]);
    mounted = false;
    await tree.cleanup();
  });

  (mountable ? it : it.skip)('leaves the old files intact and reports the file and step', async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', tree.home]);
    mounted = true;
    await tree.write('control/me', 'mail.example.com\n');
    await tree.write('control/rcpthosts', 'example.com\n');
    await tree.write('alias/.qmail-sales', '&sales@example.net\n');
    // Fill every free block: the next data block anyone asks for gets ENOSPC.
    await writeFile(join(tree.home, 'filler'), Buffer.alloc(256 * 1024)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOSPC') throw err;
    });
    const before = await snapshotTree(tree.home);

    const big = Array.from({ length: 400 }, (_, i) => `host${i}.example.com`).join('\n') + '\n';
    const ack = await applyRevision(context(), revision(2, [file('control/me', 'mail.example.com\n'), file('control/rcpthosts', big), file('alias/.qmail-sales', 'ops\n')]));

    expect(ack).toMatchObject({ ok: false, changed: [], error: { step: 'prepare', file: 'control/rcpthosts' } });
    expect(ack.error!.message).toContain('ENOSPC');
    expect(await snapshotTree(tree.home)).toEqual(before);
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  });
});

describe('hashing managed files for hello and reports', () => {
  beforeEach(async () => {
    tree = await makeQmailTree({ 'alias/.qmail-postmaster': '&admin@example.net\n' });
  });
  afterEach(() => tree.cleanup());

  it('hashes a link out of the qmail home by its link text, never by the file it points at', async () => {
    const secret = await rootOnlyFile('root:SECRET\n');
    await symlink(secret, join(tree.home, 'alias/.qmail-sales'));
    await symlink('.qmail-postmaster', join(tree.home, 'alias/.qmail-mailer-daemon'));

    const hashes = hashManagedFiles(tree.home, ['alias/.qmail-sales', 'alias/.qmail-mailer-daemon', 'alias/.qmail-absent']);

    expect(hashes['alias/.qmail-sales']).toBe(sha256(`symlink:${secret}`));
    expect(hashes['alias/.qmail-sales']).not.toBe(sha256('root:SECRET\n'));
    // A link inside the home is what qmail reads: hashed by content.
    expect(hashes['alias/.qmail-mailer-daemon']).toBe(sha256('&admin@example.net\n'));
    expect(hashes).not.toHaveProperty('alias/.qmail-absent');
  });
});

describe('users/assign entries the agent refuses whatever the controller says', () => {
  beforeEach(async () => {
    tree = await makeQmailTree({ 'users/assign': '=joe:joe:1000:1000:/home/joe:::\n.\n' });
  });
  afterEach(() => tree.cleanup());

  it.each([
    ['uid 0', '=root:root:0:0:/root:::\n.\n', /uid 0/],
    ['a home that climbs out', '=joe:joe:1000:1000:/home/../root:::\n.\n', /not a normalized absolute path/],
  ])('refuses %s at validate and leaves users/assign as it was', async (_what, content, message) => {
    const before = await snapshotTree(tree.home);
    const ack = await applyRevision(context(), revision(2, [file('users/assign', content)]));
    expect(ack).toMatchObject({ ok: false, error: { step: 'validate', file: 'users/assign', message: expect.stringMatching(message) } });
    expect(await snapshotTree(tree.home)).toEqual(before);
  });
});
