import { spawn } from 'node:child_process';
import { chown, lstat, mkdir, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deliveryWrapperScripts, installDeliveryWrappers, runDeliveryCommand } from './index';
import { deliveryEnv, installFakeQmailInject, makeAliasHome, message, type AliasHome } from './test-support/alias-home';
import { writeTsEntry } from './test-support/ts-entry';

/** Runs a .qmail `|` line as qmail-local does: sh -c, cwd the alias home, message on stdin (QMAIL.md §3). */
function runQmailLine(t: AliasHome, line: string, msg: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd: t.alias, env: { PATH: process.env['PATH'], ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(msg);
  });
}

describe('delivery commands', () => {
  it('leaves any other argv to the agent', async () => {
    expect(await runDeliveryCommand(['--controller', 'http://x'])).toBeNull();
    expect(await runDeliveryCommand([])).toBeNull();
  });

  it('exits 111 on a .qmail line without a file, so the mail waits', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runDeliveryCommand(['filter'])).toBe(111);
      expect(write).toHaveBeenCalledWith(expect.stringMatching(/^qfleet-filter: usage/));
    } finally {
      write.mockRestore();
    }
  });

  it('wrapper scripts exec node on the agent with the command, quoting the paths for sh', () => {
    const scripts = deliveryWrapperScripts("/opt/qfleet agent/main.js", "/usr/bin/node");
    expect(scripts['qfleet-autoreply']).toBe(
      "#!/bin/sh\n# installed by qfleet-agent: autoreply for an alias's .qmail line\nexec '/usr/bin/node' '/opt/qfleet agent/main.js' autoreply \"$@\"\n",
    );
    expect(scripts['qfleet-filter']).toContain(`exec '/usr/bin/node' '/opt/qfleet agent/main.js' filter "$@"\n`);
    expect(deliveryWrapperScripts("/it's/main.js", 'node')['qfleet-filter']).toContain(`'/it'\\''s/main.js'`);
  });

  describe('installed wrappers', () => {
    let t: AliasHome;
    beforeEach(async () => {
      t = await makeAliasHome();
    });
    afterEach(() => t.cleanup());

    it('installs both scripts 0755 and the track directory, and rewrites only what changed', async () => {
      expect(await installDeliveryWrappers(t.home, '/opt/a.js', '/usr/bin/node')).toEqual(['qfleet-autoreply', 'qfleet-filter']);
      for (const name of ['qfleet-autoreply', 'qfleet-filter']) expect((await stat(join(t.alias, 'qfleet/bin', name))).mode & 0o777).toBe(0o755);
      expect((await stat(join(t.alias, 'qfleet/track'))).isDirectory()).toBe(true);
      expect(await installDeliveryWrappers(t.home, '/opt/a.js', '/usr/bin/node')).toEqual([]);
      expect(await installDeliveryWrappers(t.home, '/opt/b.js', '/usr/bin/node')).toEqual(['qfleet-autoreply', 'qfleet-filter']);
      expect(await t.read('qfleet/bin/qfleet-filter')).toContain("'/opt/b.js' filter");
      expect((await readdir(join(t.alias, 'qfleet/bin'))).sort()).toEqual(['qfleet-autoreply', 'qfleet-filter']);
    });

    describe('when alias/ belongs to the alias user (uid 1000), who can swap what is inside it', () => {
      const ALIAS_UID = 1000;
      beforeEach(async () => {
        await rm(join(t.alias, 'qfleet'), { recursive: true });
        await chown(t.alias, ALIAS_UID, ALIAS_UID);
      });

      it('gives the track directory to the alias user, through its descriptor', async () => {
        await installDeliveryWrappers(t.home, '/opt/a.js', '/usr/bin/node');
        expect((await lstat(join(t.alias, 'qfleet/track'))).uid).toBe(ALIAS_UID);
        expect((await lstat(join(t.alias, 'qfleet'))).uid).toBe(0);
      });

      it('refuses alias/qfleet swapped for a link, and chowns nothing it points to', async () => {
        const victim = join(t.home, 'root-only');
        await mkdir(join(victim, 'track'), { recursive: true, mode: 0o700 });
        await mkdir(join(victim, 'bin'));
        await symlink(victim, join(t.alias, 'qfleet'));

        await expect(installDeliveryWrappers(t.home, '/opt/a.js', '/usr/bin/node')).rejects.toThrow(`${join(t.alias, 'qfleet')}: is a symbolic link; refused`);
        expect((await lstat(join(victim, 'track'))).uid).toBe(0);
        expect(await readdir(join(victim, 'bin'))).toEqual([]);
      });

      it('refuses an alias/qfleet directory that the alias user made', async () => {
        await mkdir(join(t.alias, 'qfleet'));
        await chown(join(t.alias, 'qfleet'), ALIAS_UID, ALIAS_UID);
        await symlink(join(t.home, 'elsewhere'), join(t.alias, 'qfleet/track'));

        await expect(installDeliveryWrappers(t.home, '/opt/a.js', '/usr/bin/node')).rejects.toThrow(`${join(t.alias, 'qfleet')}: belongs to uid ${ALIAS_UID}, not 0; refused`);
      });

      it('refuses a track that is a link to a root-owned directory', async () => {
        await mkdir(join(t.alias, 'qfleet'));
        const victim = join(t.home, 'root-dir');
        await mkdir(victim);
        await symlink(victim, join(t.alias, 'qfleet/track'));

        await expect(installDeliveryWrappers(t.home, '/opt/a.js', '/usr/bin/node')).rejects.toThrow(`${join(t.alias, 'qfleet/track')}: is a symbolic link; refused`);
        expect((await lstat(victim)).uid).toBe(0);
      });
    });

    it('runs the .qmail lines end to end: the autoreply through the real qmail-inject path', async () => {
      const injected = join(t.home, 'injected.txt');
      await installFakeQmailInject(t.home, injected);
      await installDeliveryWrappers(t.home, await writeTsEntry(t.home), process.execPath);
      await t.write('qfleet/example-sales.autoreply', JSON.stringify({ subject: 'Away', body: 'Back soon.', periodSec: 3600 }, null, 2) + '\n');
      const msg = message(['From: alice@example.org', 'Subject: hi', 'Message-ID: <e2e@example.org>']);

      const first = await runQmailLine(t, 'qfleet/bin/qfleet-autoreply qfleet/example-sales.autoreply', msg, deliveryEnv());
      expect(first).toEqual({ code: 0, output: '' });
      const out = await readFile(injected, 'utf8');
      expect(out).toMatch(/^\[-a\]\n\[-f\]\n\[\]\n\[--\]\n\[alice@example\.org\]\n--message--\nFrom: example-sales@example\.com\nTo: <alice@example\.org>\nSubject: Away\n/);
      expect(out).toMatch(/\nIn-Reply-To: <e2e@example\.org>\n[\s\S]*\n\nBack soon\.\n$/);

      const second = await runQmailLine(t, 'qfleet/bin/qfleet-autoreply qfleet/example-sales.autoreply', msg, deliveryEnv());
      expect(second.code).toBe(0);
      expect(second.output).toMatch(/already replied/);
      expect(await readFile(injected, 'utf8')).toBe(out);
    }, 60_000);

    it('runs the filter line end to end: a forward exits 99 and keeps the envelope sender', async () => {
      const injected = join(t.home, 'injected.txt');
      await installFakeQmailInject(t.home, injected);
      await installDeliveryWrappers(t.home, await writeTsEntry(t.home), process.execPath);
      await t.write('qfleet/example-sales.filter', JSON.stringify({ rules: [{ field: 'subject', contains: 'invoice', action: 'forward', to: 'books@example.net' }] }));
      const msg = message(['From: alice@example.org', 'Subject: Invoice 42']);

      const result = await runQmailLine(t, 'qfleet/bin/qfleet-filter qfleet/example-sales.filter', msg, deliveryEnv());
      expect(result.code).toBe(99);
      expect(await readFile(injected, 'utf8')).toBe(`[-a]\n[-f]\n[alice@example.org]\n[--]\n[books@example.net]\n--message--\nDelivered-To: example-sales@example.com\n${msg}`);
    }, 60_000);

    it('exits 111 when qmail-inject cannot run, so qmail retries the forward', async () => {
      await installDeliveryWrappers(t.home, await writeTsEntry(t.home), process.execPath);
      await t.write('qfleet/example-sales.filter', JSON.stringify({ rules: [{ field: 'from', contains: '@', action: 'forward', to: 'books@example.net' }] }));
      const result = await runQmailLine(t, 'qfleet/bin/qfleet-filter qfleet/example-sales.filter', message(['From: a@example.org']), deliveryEnv());
      expect(result.code).toBe(111);
      expect(result.output).toMatch(/qmail-inject could not start: ENOENT/);
    }, 60_000);
  });
});
