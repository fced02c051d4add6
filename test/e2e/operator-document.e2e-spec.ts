import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestController } from '../support/controller';
import { testDatabases } from '../support/databases';
import { runCli } from '../support/cli';
import { CONTROLLER_MAIN, spawnNode, waitFor } from '../support/processes';

/**
 * What an operator meets when changing a host's document (issue 12, points 6, 7, 8, 9a, 10):
 * every problem in one answer, `config set` showing its plan before it saves, one meaning of
 * `null`, domains stored as qmail reads them, host routes by name, and an audit without noise.
 */
describe.each(testDatabases())('the document as an operator changes it, on the %s database', (db) => {
  let ctl: TestController;
  let work: string;
  let hostId: string;
  const HOST = 'mx7.example.net';

  const qfleet = (args: string[], opts: { input?: string } = {}) => runCli(ctl.url, args, opts);
  const changedLines = (diff: string) => diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l));

  beforeAll(async () => {
    ctl = await TestController.start(db);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-operator-'));
    hostId = (await ctl.createHost(HOST)).id;
    await ctl.api('POST', '/api/groups', { name: 'edge' });
  });
  afterAll(async () => {
    await ctl?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('reports every problem of a document at once, each naming its field: API, PATCH, groups and CLI', async () => {
    const bad = { databytes: -5, locals: ['a b'], rcpthosts: null };
    const put = await ctl.api('PUT', `/api/hosts/${hostId}/config`, bad);
    expect(put.status).toBe(400);
    const paths = put.body.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['databytes', 'locals[0]', 'rcpthosts']));
    for (const p of ['databytes', 'locals[0]', 'rcpthosts']) expect(put.body.message).toContain(`${p}: `);

    // In a merge patch `rcpthosts: null` stops managing rcpthosts (RFC 7386): no relay problem there.
    const patch = await ctl.api('PATCH', `/api/hosts/${hostId}/config`, { ...bad, openRelay: 'yes' });
    expect(patch.status).toBe(400);
    expect(patch.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['databytes', 'locals[0]', 'openRelay']);

    const group = await ctl.api('PUT', '/api/groups/edge/config', { databytes: -5, locals: ['a b'], lokals: [] });
    expect(group.status).toBe(400);
    expect(group.body.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['databytes', 'locals[0]', 'lokals']));

    const cli = await qfleet(['config', 'set', HOST, '-'], { input: JSON.stringify(bad) });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    const lines = cli.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/\(3 fields\):$/);
    expect(lines.slice(1).map((l) => l.trim().split(':')[0]).sort()).toEqual(['databytes', 'locals[0]', 'rcpthosts']);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.revision).toBe(0);
  });

  it('`config set` shows the diff, the fields it stops managing and the post-steps, and saves only with --yes', async () => {
    const full = { me: 'mx7.example.net', locals: ['example.com'], rcpthosts: ['example.com'], databytes: 20000000 };
    expect((await ctl.api('PUT', `/api/hosts/${hostId}/config`, full)).status).toBe(200);
    const onlyLocals = JSON.stringify({ locals: ['example.com', 'new.example'] });

    const asked = await qfleet(['config', 'set', HOST, '-'], { input: onlyLocals });
    expect(asked.code).toBe(2);
    expect(asked.stdout).toContain('+    "new.example"');
    expect(asked.stdout).toContain('-  "me": "mx7.example.net"');
    expect(asked.stdout).toMatch(/^no longer managed \(their files are left as they are\): databytes, me, rcpthosts$/m);
    expect(asked.stdout).toMatch(/^ {2}create control\/locals$/m);
    expect(asked.stdout).toMatch(/^then: .*qmail-send/m);
    expect(asked.stderr).toMatch(/not saving: the document came from standard input.*pass --yes/);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body).toEqual({ revision: 1, document: full });

    const docFile = path.join(work, 'locals.json');
    fs.writeFileSync(docFile, onlyLocals);
    const noTerminal = await qfleet(['config', 'set', HOST, docFile]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('standard input is not a terminal to ask on; pass --yes');
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.revision).toBe(1);

    const saved = await qfleet(['config', 'set', HOST, docFile, '--yes']);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/no longer managed .*: databytes, me, rcpthosts$/m);
    expect(saved.stdout).toMatch(/^mx7\.example\.net: saved as revision 2$/m);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body).toEqual({ revision: 2, document: { locals: ['example.com', 'new.example'] } });
  });

  it('stores domains lowercase; PATCH null stops managing a field, PUT null removes its file', async () => {
    const mixed = { locals: ['Example.COM'], rcpthosts: ['.Example.COM', 'Example.COM'], smtproutes: [{ domain: 'Relay.Example', relay: 'Smart.Example.NET' }], me: 'MX7.example.net' };
    expect((await ctl.api('PUT', `/api/hosts/${hostId}/config`, mixed)).status).toBe(200);
    const stored = (await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document;
    expect(stored).toEqual({ locals: ['example.com'], rcpthosts: ['.example.com', 'example.com'], smtproutes: [{ domain: 'relay.example', relay: 'smart.example.net' }], me: 'MX7.example.net' });

    const patched = await ctl.api('PATCH', `/api/hosts/${hostId}/config`, { smtproutes: null, databytes: 1000 });
    expect(patched.status).toBe(200);
    const afterPatch = (await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document;
    expect('smtproutes' in afterPatch).toBe(false);
    expect(afterPatch.databytes).toBe(1000);
    // Unmanaged: the plan neither writes nor removes control/smtproutes.
    const plan = (await ctl.api('GET', `/api/hosts/${hostId}/plan`)).body;
    expect(plan.changes.map((c: { path: string }) => c.path)).not.toContain('control/smtproutes');

    expect((await ctl.api('PUT', `/api/hosts/${hostId}/config`, { ...afterPatch, smtproutes: null })).status).toBe(200);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document.smtproutes).toBeNull();
  });

  it('audits a PATCH as config.patch, names the env admin token once, and diffs without key-order noise', async () => {
    const doc = { me: 'mx7.example.net', smtproutes: [{ domain: 'relay.example', relay: 'smart.example.net', port: 2525 }], locals: ['example.com'], rcpthosts: ['example.com'], databytes: 1000 };
    expect((await ctl.api('PUT', `/api/hosts/${hostId}/config`, doc)).status).toBe(200);
    expect((await ctl.api('PATCH', `/api/hosts/${hostId}/config`, { databytes: 2000 })).status).toBe(200);
    const [last, previous] = (await ctl.api('GET', `/api/audit?target=host:${hostId}&limit=2`)).body;
    expect(previous.action).toBe('config.put');
    expect(last.action).toBe('config.patch');
    expect(last.actor).toBe('QFLEET_ADMIN_TOKEN (admin)');
    expect(changedLines(last.diff.document)).toEqual(['-  "databytes": 1000,', '+  "databytes": 2000,']);
  });

  it('takes a host name wherever it takes an id', async () => {
    const byName = await ctl.api('GET', `/api/hosts/${HOST}`);
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(hostId);
    expect((await ctl.api('GET', `/api/hosts/${HOST.toUpperCase()}/config`)).body.document.databytes).toBe(2000);
    expect((await ctl.api('GET', `/api/hosts/${HOST}/plan`)).status).toBe(200);
    expect((await ctl.api('PATCH', `/api/hosts/${HOST}/config`, { databytes: 3000 })).status).toBe(200);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document.databytes).toBe(3000);

    const missing = await ctl.api('GET', '/api/hosts/nowhere.example.net');
    expect(missing).toMatchObject({ status: 404, body: { message: 'no host with the id or name "nowhere.example.net"' } });
    // Names are looked up only for a caller the guard let through.
    expect((await ctl.api('GET', '/api/hosts/nowhere.example.net', undefined, null)).status).toBe(401);
  });
});

describe('the first start of a controller', () => {
  it('prints no log lines at the default level, then its address, then the admin token framed, last', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-first-'));
    const proc = spawnNode(CONTROLLER_MAIN, [], { PORT: '0', HOST: '127.0.0.1', QFLEET_DATA_DIR: dataDir, NO_COLOR: '1' }, 'first-start');
    try {
      const url = (await proc.waitForLine(/listening on (https?:\/\/localhost:\d+)/, 120_000))[1].replace('localhost', '127.0.0.1');
      await proc.waitForLine(/^\+-+\+$/);
      await waitFor('the frame to close', () => proc.output.filter((l) => /^\+-+\+$/.test(l)).length === 2);
      const lines = proc.output;
      expect(lines.filter((l) => /\bLOG\b/.test(l))).toEqual([]);
      expect(lines[0]).toMatch(/^qfleet-controller: listening on /);
      const token = /^\| {5}(qft_\S+) +\|$/.exec(lines.find((l) => /^\| {5}qft_/.test(l)) ?? '')?.[1];
      expect(token).toBeDefined();
      expect(lines.at(-1)).toMatch(/^\+-+\+$/);
      const res = await fetch(`${url}/api/hosts`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    } finally {
      await proc.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
