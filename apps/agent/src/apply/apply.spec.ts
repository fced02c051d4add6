import { execFile } from 'node:child_process';
import { chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConfigApply, FileEntry } from '@qfleet/protocol';
import { createPostStepRunner, daemontoolsBackend } from '../post-steps';
import { appliesSettled, applyRevision, hashManagedFiles, readApplied, recoverJournal, type ApplyContext } from '.';
import { writeApplied } from './applied-state';
import { sha256 } from './qmail';
import {
  installProgram,
  makeQmailTree,
  newmrhThatWorks,
  newuThatFails,
  newuThatWorks,
  snapshotTree,
  waitFor,
  withoutMtimes,
  type QmailTree,
} from './test-support/qmail-tree';
import { superviseStandIn } from './test-support/supervise';

const ASSIGN = '=joe:joe:503:78:/home/joe:::\n.\n';
const NEW_ASSIGN = '=joe:joe:503:78:/home/joe:::\n=ann:ann:504:78:/home/ann:::\n.\n';

let tree: QmailTree;
let lines: string[];

function context(extra: Partial<ApplyContext> = {}): ApplyContext {
  lines = [];
  const log = (line: string) => lines.push(line);
  return { qmailHome: tree.home, stateDir: tree.stateDir, log, postSteps: createPostStepRunner({ qmailHome: tree.home, log }), ...extra };
}

function revision(revision: number, files: FileEntry[], removes: string[] = [], postSteps: ConfigApply['postSteps'] = []): ConfigApply {
  return { revision, files, removes, postSteps };
}

const file = (path: string, content: string, mode = 0o644): FileEntry => ({ path, content, mode });

/** A host as LWQ leaves it, with users/assign already compiled. */
async function lwqTree(): Promise<QmailTree> {
  const t = await makeQmailTree({
    'control/me': 'mail.example.com\n',
    'control/locals': 'localhost\nexample.com\n',
    'control/rcpthosts': 'example.com\n',
    'users/assign': ASSIGN,
    'users/cdb': `cdb of:\n${ASSIGN}`,
    'alias/.qmail-postmaster': 'admin\n',
    'alias/.qmail-sales': '&sales@example.net\n',
  });
  await symlink('.qmail-postmaster', join(t.home, 'alias/.qmail-mailer-daemon'));
  await installProgram(t.home, 'qmail-newu', newuThatWorks);
  await installProgram(t.home, 'qmail-newmrh', newmrhThatWorks);
  return t;
}

beforeEach(async () => {
  tree = await lwqTree();
});
afterEach(async () => {
  await tree.cleanup();
});

describe('applyRevision', () => {
  it('writes exactly the bytes and mode it was sent, creating control/ when missing', async () => {
    await rm(join(tree.home, 'control'), { recursive: true });
    const content = 'tüv.example\n\tleading tab kept\n';
    const ack = await applyRevision(context(), revision(1, [file('control/locals', content, 0o640)], [], ['hup']));

    expect(ack).toMatchObject({ revision: 1, ok: true, changed: ['control/locals'], skipped: ['hup'] });
    expect(await readFile(join(tree.home, 'control/locals'))).toEqual(Buffer.from(content, 'utf8'));
    expect((await stat(join(tree.home, 'control/locals'))).mode & 0o777).toBe(0o640);
  });

  it('writes only what differs from disk and leaves unchanged files untouched, mtime and all', async () => {
    const past = new Date('2020-01-01T00:00:00Z');
    await utimes(join(tree.home, 'control/me'), past, past);
    const ack = await applyRevision(context(), revision(2, [file('control/me', 'mail.example.com\n'), file('control/rcpthosts', 'example.com\nexample.org\n')]));

    expect(ack).toMatchObject({ ok: true, changed: ['control/rcpthosts'] });
    expect((await stat(join(tree.home, 'control/me'))).mtime).toEqual(past);
  });

  it('rewrites a file whose bytes are the same but whose mode differs', async () => {
    const ack = await applyRevision(context(), revision(3, [file('control/me', 'mail.example.com\n', 0o600)]));
    expect(ack).toMatchObject({ ok: true, changed: ['control/me'] });
    expect((await stat(join(tree.home, 'control/me'))).mode & 0o777).toBe(0o600);
  });

  it('runs qmail-newu when users/assign changed and records the applied revision', async () => {
    const ack = await applyRevision(context(), revision(4, [file('users/assign', NEW_ASSIGN), file('control/me', 'mail.example.com\n')], [], ['qmail-newu']));

    expect(ack).toMatchObject({ ok: true, changed: ['users/assign'], skipped: [] });
    expect(await tree.read('users/cdb')).toBe(`cdb of:\n${NEW_ASSIGN}`);
    expect(readApplied(tree.stateDir)).toEqual({
      revision: 4,
      files: { 'users/assign': sha256(NEW_ASSIGN), 'control/me': sha256('mail.example.com\n') },
    });
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  });

  it('decides post-steps from what changed on disk and logs when the controller expected others', async () => {
    const ack = await applyRevision(context(), revision(5, [file('users/assign', ASSIGN)], [], ['qmail-newu']));
    expect(ack).toMatchObject({ ok: true, changed: [], skipped: [] });
    expect(lines.some((l) => l.includes('controller expected post-steps [qmail-newu]'))).toBe(true);
  });

  it('keeps every file, users/cdb included, byte for byte when qmail-newu fails', async () => {
    await installProgram(tree.home, 'qmail-newu', newuThatFails);
    await applyRevision(context(), revision(1, [file('control/me', 'mail.example.com\n')]));
    const before = await snapshotTree(tree.home);

    const ack = await applyRevision(context(), revision(2, [file('users/assign', NEW_ASSIGN), file('control/locals', 'example.com\n'), file('control/me', 'new.example.com\n')]));

    expect(ack).toMatchObject({ revision: 2, ok: false, changed: [] });
    expect(ack.error).toEqual({ file: 'users/assign', step: 'qmail-newu', message: 'qmail-newu exited with code 111: qmail-newu: fatal: bad format in users/assign' });
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
    expect(readApplied(tree.stateDir).revision).toBe(1);
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  });

  it('restores users/cdb that qmail-newu rebuilt when a later post-step fails', async () => {
    await installProgram(tree.home, 'qmail-newmrh', 'echo "qmail-newmrh: fatal: unable to read control/morercpthosts" >&2; exit 111');
    const before = await snapshotTree(tree.home);

    const ack = await applyRevision(context(), revision(2, [file('users/assign', NEW_ASSIGN), file('control/morercpthosts', 'example.org\n')]));

    expect(ack.error).toMatchObject({ file: 'control/morercpthosts', step: 'qmail-newmrh' });
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
  });

  it('brings removed files back, and deletes files it created, when the apply fails', async () => {
    await installProgram(tree.home, 'qmail-newu', newuThatFails);
    await chown(join(tree.home, 'alias/.qmail-sales'), 1234, 4321);
    const before = await snapshotTree(tree.home);

    const ack = await applyRevision(
      context(),
      revision(2, [file('users/assign', NEW_ASSIGN), file('alias/qfleet/autoreply-sales', 'Out of office\n')], ['alias/.qmail-sales', 'alias/.qmail-mailer-daemon']),
    );

    expect(ack.ok).toBe(false);
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
  });

  it('applies a revision of 1,000 files, more than one batch of syncs holds open, and rolls all of them back on failure', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => file(`alias/.qmail-bulk${i}`, `&bulk${i}@example.net\n`));
    const ack = await applyRevision(context(), revision(2, many));
    expect(ack).toMatchObject({ ok: true });
    expect(ack.changed).toHaveLength(1000);
    for (const i of [0, 255, 256, 511, 999]) expect(await tree.read(`alias/.qmail-bulk${i}`)).toBe(`&bulk${i}@example.net\n`);

    // Every one replaced, then users/assign's qmail-newu fails: all 1,000 come back from their backups.
    await installProgram(tree.home, 'qmail-newu', newuThatFails);
    const before = await snapshotTree(tree.home);
    const changedAll = many.map((f) => ({ ...f, content: f.content.replace('example.net', 'example.org') }));
    const failed = await applyRevision(context(), revision(3, [...changedAll, file('users/assign', NEW_ASSIGN)]));
    expect(failed).toMatchObject({ ok: false, error: { step: 'qmail-newu' } });
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  }, 30_000);

  it('removes only files that exist and reports them as changed', async () => {
    const ack = await applyRevision(context(), revision(2, [], ['alias/.qmail-sales', 'alias/.qmail-gone']));
    expect(ack).toMatchObject({ ok: true, changed: ['alias/.qmail-sales'] });
    await expect(lstat(join(tree.home, 'alias/.qmail-sales'))).rejects.toThrow();
  });

  it('replaces a symlinked alias file with a regular file and leaves the link target alone', async () => {
    const ack = await applyRevision(context(), revision(2, [file('alias/.qmail-mailer-daemon', 'ops\n')]));
    expect(ack).toMatchObject({ ok: true, changed: ['alias/.qmail-mailer-daemon'] });
    expect((await lstat(join(tree.home, 'alias/.qmail-mailer-daemon'))).isFile()).toBe(true);
    expect(await tree.read('alias/.qmail-postmaster')).toBe('admin\n');
  });

  it('keeps the owner of a replaced file and gives a new file the agent user', async () => {
    await chown(join(tree.home, 'control/rcpthosts'), 1234, 4321);
    await applyRevision(context(), revision(2, [file('control/rcpthosts', 'example.org\n'), file('control/databytes', '20000000\n')]));
    const replaced = await stat(join(tree.home, 'control/rcpthosts'));
    const created = await stat(join(tree.home, 'control/databytes'));
    expect([replaced.uid, replaced.gid]).toEqual(process.getuid!() === 0 ? [1234, 4321] : [replaced.uid, replaced.gid]);
    expect(created.uid).toBe(process.getuid!());
  });

  it('applies a revision lower than the applied one (a revert is the controller’s call)', async () => {
    await applyRevision(context(), revision(7, [file('control/databytes', '1000\n')]));
    const ack = await applyRevision(context(), revision(6, [file('control/databytes', '2000\n')]));
    expect(ack).toMatchObject({ revision: 6, ok: true, changed: ['control/databytes'] });
    expect(readApplied(tree.stateDir).revision).toBe(6);
  });

  it('sends the HUP again after rolling back a revision whose HUP was already sent', async () => {
    const service = await superviseStandIn(tree.root);
    try {
      await waitFor(async () => (await service.events()).some((e) => e.startsWith('start')), 'qmail-send stand-in to start');
      // Two HUPs close together may reach the shell as one (signals coalesce), so each svc
      // call is counted on its way to the real svc.
      const svcCalls = join(tree.root, 'svc-calls');
      await installProgram(tree.root, 'svc', `echo "$*" >> ${svcCalls}; exec svc "$@"`);
      const ctx = context();
      ctx.postSteps = createPostStepRunner({ qmailHome: tree.home, service: daemontoolsBackend(service.dir, { svc: join(tree.root, 'bin/svc'), svstat: 'svstat' }), log: ctx.log });
      // applied.json as a directory makes the last step, recording the revision, fail after the HUP.
      await mkdir(join(tree.stateDir, 'applied.json'));
      const before = await snapshotTree(tree.home);

      const ack = await applyRevision(ctx, revision(2, [file('control/locals', 'example.org\n')], [], ['hup']));

      expect(ack).toMatchObject({ ok: false, error: { step: 'record' } });
      expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
      expect((await readFile(svcCalls, 'utf8')).split('\n').filter(Boolean)).toEqual([`-h ${service.dir}`, `-h ${service.dir}`]);
      await waitFor(async () => (await service.events()).includes('hup'), 'the HUP to reach qmail-send');
      expect(lines.join('\n')).toContain('rollback: hup sent again');
    } finally {
      await service.stop();
    }
  }, 20_000);

  it('fails naming qmail-newu when it is not installed, and changes nothing', async () => {
    await rm(join(tree.home, 'bin/qmail-newu'));
    const before = await snapshotTree(tree.home);
    const ack = await applyRevision(context(), revision(2, [file('users/assign', NEW_ASSIGN)]));
    expect(ack.error).toEqual({ file: 'users/assign', step: 'qmail-newu', message: `qmail-newu is not installed at ${join(tree.home, 'bin/qmail-newu')}` });
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
  });

  describe('refuses unsafe paths with nothing touched', () => {
    it.each(['../etc/passwd', '/etc/passwd', 'control/../../x', 'control/../users/assign', 'bin/qmail-newu', 'control/nosuchfile', 'alias/.qmail-../x'])(
      '%s',
      async (bad) => {
        const before = await snapshotTree(tree.root);
        const ack = await applyRevision(context(), revision(2, [file('control/me', 'evil.example\n')], [bad]));
        expect(ack).toMatchObject({ ok: false, changed: [], error: { file: bad, step: 'validate' } });
        expect(await snapshotTree(tree.root)).toEqual(before);
      },
    );

    it('a bad path among the files to write', async () => {
      const before = await snapshotTree(tree.root);
      const ack = await applyRevision(context(), revision(2, [file('control/me', 'evil.example\n'), file('../etc/passwd', 'root::0:0::/:/bin/sh\n')]));
      expect(ack).toMatchObject({ ok: false, changed: [], error: { file: '../etc/passwd', step: 'validate' } });
      expect(await snapshotTree(tree.root)).toEqual(before);
    });

    it('a control directory that is a symlink to outside the qmail home', async () => {
      const outside = await mkdtemp(join(tmpdir(), 'qfleet-outside-'));
      try {
        await rm(join(tree.home, 'control'), { recursive: true });
        await symlink(outside, join(tree.home, 'control'));
        const before = { tree: await snapshotTree(tree.root), outside: await snapshotTree(outside) };
        const ack = await applyRevision(context(), revision(2, [file('control/me', 'evil.example\n')]));
        expect(ack.error).toMatchObject({ file: 'control/me', step: 'validate' });
        expect(ack.error!.message).toContain('outside the qmail home');
        expect({ tree: await snapshotTree(tree.root), outside: await snapshotTree(outside) }).toEqual(before);
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    it('a qmail home that does not exist', async () => {
      const ack = await applyRevision(context({ qmailHome: join(tree.root, 'nope') }), revision(2, [file('control/me', 'x\n')]));
      expect(ack.error).toMatchObject({ step: 'validate' });
      await expect(lstat(join(tree.root, 'nope'))).rejects.toThrow();
    });
  });
});

describe('recoverJournal', () => {
  const child = resolve(__dirname, 'test-support/crash-child.ts');
  const agentTsconfig = resolve(__dirname, '../../tsconfig.app.json');
  // tsconfig.base.json's `paths` have no baseUrl; tsconfig-paths needs the repo root for them.
  const repoRoot = resolve(__dirname, '../../../..');

  /** Runs applyRevision in a real node process with QFLEET_AGENT_FAULT's value; resolves with its exit signal. */
  /** Nx sets TS_NODE_COMPILER_OPTIONS for Jest (moduleResolution node10), which TypeScript 6 refuses in a ts-node child. */
  function childEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    delete env['TS_NODE_COMPILER_OPTIONS'];
    return env;
  }

  function applyInChild(fault: string, msg: ConfigApply, serviceDir?: string): Promise<{ signal: string | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', child, tree.home, tree.stateDir, fault, JSON.stringify(msg), ...(serviceDir ? [serviceDir] : [])],
        { env: { ...childEnv(), TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: agentTsconfig, TS_NODE_BASEURL: repoRoot } },
        (err, stdout, stderr) => done({ signal: (err as { signal?: string } | null)?.signal ?? null, stdout, stderr }),
      );
    });
  }

  const crashing = () =>
    revision(
      2,
      [file('control/me', 'new.example.com\n'), file('control/locals', 'example.com\n'), file('users/assign', NEW_ASSIGN), file('control/databytes', '5\n')],
      ['alias/.qmail-sales'],
    );

  it('finds nothing to do without a journal', async () => {
    expect(await recoverJournal(context())).toBe('none');
  });

  it('rolls back to exactly the old files after a crash right after the first rename', async () => {
    const before = await snapshotTree(tree.home);
    const child = await applyInChild('crash-after-rename:1', crashing());

    expect(child).toMatchObject({ signal: 'SIGKILL' });
    expect(await tree.read('control/me')).toBe('new.example.com\n');
    expect(await tree.read('control/locals')).toBe('localhost\nexample.com\n');

    expect(await recoverJournal(context())).toBe('rolled-back');
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
    expect(lines.join('\n')).toContain('rolled back');
  }, 30_000);

  it('rolls back every rename, the removal and created files after a crash before the post-steps', async () => {
    const before = await snapshotTree(tree.home);
    const child = await applyInChild('crash-before-post-steps', crashing());

    expect(child).toMatchObject({ signal: 'SIGKILL' });
    expect(await tree.read('control/databytes')).toBe('5\n');
    expect(await recoverJournal(context())).toBe('rolled-back');
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
    expect(readApplied(tree.stateDir).revision).toBe(0);
  }, 30_000);

  it('lets the next apply succeed after a crash', async () => {
    expect(await applyInChild('crash-after-rename:2', crashing())).toMatchObject({ signal: 'SIGKILL' });
    expect(await recoverJournal(context())).toBe('rolled-back');
    const ack = await applyRevision(context(), crashing());
    expect(ack).toMatchObject({ ok: true });
    expect(await tree.read('users/cdb')).toBe(`cdb of:\n${NEW_ASSIGN}`);
  }, 30_000);

  it('keeps the files as they were after a crash before the journal is synced, restoring no short backup', async () => {
    const before = await snapshotTree(tree.home);
    expect(await applyInChild('crash-before-seal', crashing())).toMatchObject({ signal: 'SIGKILL' });
    expect(Object.keys(await snapshotTree(tree.home)).filter((p) => p.includes('.qfleet-tmp.')).length).toBeGreaterThan(0);
    // A crash mid-write leaves a backup short; its sha256 in the plan tells, and it is not restored.
    const plan = JSON.parse(await readFile(join(tree.stateDir, 'journal/plan.json'), 'utf8')) as { entries: { path: string; before: { kind: string; backup?: string } }[] };
    const me = plan.entries.find((e) => e.path === 'control/me')!;
    await writeFile(join(tree.stateDir, `journal/backup.${me.before.backup}`), 'mail.ex');

    expect(await recoverJournal(context())).toBe('rolled-back');
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
    expect((await readdir(tree.stateDir)).filter((n) => n.startsWith('.qfleet-tmp.'))).toEqual([]);
  }, 30_000);

  it('reads a plan a crash tore while it was written as no plan: nothing had been renamed', async () => {
    const before = await snapshotTree(tree.home);
    expect(await applyInChild('crash-before-seal', crashing())).toMatchObject({ signal: 'SIGKILL' });
    const planFile = join(tree.stateDir, 'journal/plan.json');
    await writeFile(planFile, (await readFile(planFile, 'utf8')).slice(0, 40));

    expect(await recoverJournal(context())).toBe('none');
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
    expect(lines.join('\n')).toContain('removed leftover temp files');
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  }, 30_000);

  it('leaves a completed apply as it is when it died before dropping its journal, also after a later record', async () => {
    expect(await applyInChild('crash-after-record', crashing())).toMatchObject({ signal: 'SIGKILL' });
    expect(await lstat(join(tree.stateDir, 'journal/plan.json'))).toBeTruthy();
    const after = await snapshotTree(tree.home);
    // An apply that changed nothing records its revision: the completed plan must still be recognised.
    await writeApplied(tree.stateDir, { revision: 3, files: {} });

    expect(await recoverJournal(context())).toBe('none');
    expect(lines.join('\n')).toContain('that apply had completed');
    expect(lines.join('\n')).not.toContain('rolled back');
    expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(after));
    expect(await tree.read('control/me')).toBe('new.example.com\n');
    expect(readApplied(tree.stateDir).revision).toBe(3);
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  }, 30_000);

  it('sends the HUP again when rolling back after a crash between the renames and the HUP', async () => {
    const service = await superviseStandIn(tree.root);
    try {
      await waitFor(async () => (await service.events()).some((e) => e.startsWith('start')), 'qmail-send stand-in to start');
      const before = await snapshotTree(tree.home);
      expect(await applyInChild('crash-before-post-steps', revision(2, [file('control/locals', 'example.org\n')], [], ['hup']), service.dir)).toMatchObject({ signal: 'SIGKILL' });

      const ctx = context();
      ctx.postSteps = createPostStepRunner({ qmailHome: tree.home, service: daemontoolsBackend(service.dir), log: ctx.log });
      expect(await recoverJournal(ctx)).toBe('rolled-back');
      expect(withoutMtimes(await snapshotTree(tree.home))).toEqual(withoutMtimes(before));
      expect(lines.join('\n')).toContain('rollback: hup sent again');
      await waitFor(async () => (await service.events()).includes('hup'), 'the HUP to reach qmail-send');
    } finally {
      await service.stop();
    }
  }, 30_000);

  it('removes leftover temp files of an apply that died before recording its plan', async () => {
    await mkdir(join(tree.stateDir, 'journal/backups'), { recursive: true });
    await writeFile(join(tree.home, 'control/.qfleet-tmp.me.9'), 'half');
    expect(await recoverJournal(context())).toBe('none');
    await expect(lstat(join(tree.home, 'control/.qfleet-tmp.me.9'))).rejects.toThrow();
    await appliesSettled(tree.stateDir);
    await expect(lstat(join(tree.stateDir, 'journal'))).rejects.toThrow();
  });
});

describe('readApplied and hashManagedFiles', () => {
  it('reads revision 0 when nothing was ever applied', () => {
    expect(readApplied(tree.stateDir)).toEqual({ revision: 0, files: {} });
  });

  it('hashes managed files on disk and leaves absent ones out', async () => {
    expect(hashManagedFiles(tree.home, ['control/me', 'control/databytes', 'users/assign'])).toEqual({
      'control/me': sha256('mail.example.com\n'),
      'users/assign': sha256(ASSIGN),
    });
    expect(await readlink(join(tree.home, 'alias/.qmail-mailer-daemon'))).toBe('.qmail-postmaster');
  });
});
