import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestController } from '../support/controller';
import { testDatabases } from '../support/databases';
import { runCli } from '../support/cli';


describe.each(testDatabases())('the qfleet CLI against a real controller on the %s database', (db) => {
  let ctl: TestController;
  let work: string;

  const qfleet = (args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) => runCli(ctl.url, args, opts);

  function file(name: string, content: unknown): string {
    const p = path.join(work, name);
    fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  }

  beforeAll(async () => {
    ctl = await TestController.start(db);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-cli-'));
  });
  afterAll(async () => {
    await ctl?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('adds a host and prints its enrol token and the agent command', async () => {
    const r = await qfleet(['hosts', 'add', 'mx1.example.net', '--group', 'eu']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const token = /enrol token \(shown only this once\): (qfe_\S+)/.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(r.stdout).toContain(`sh qfleet-agent/install-agent.sh --controller ${ctl.url} --token ${token} --qmail /var/qmail`);
    const hosts = (await ctl.api('GET', '/api/hosts')).body;
    expect(hosts).toEqual([expect.objectContaining({ name: 'mx1.example.net', groups: ['eu'] })]);
  });

  it('lists hosts as a table, and as the raw JSON with --json', async () => {
    const table = await qfleet(['hosts', 'list']);
    expect(table.code).toBe(0);
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'ID', 'GROUPS', 'AGENT', 'REVISION', 'DRIFT', 'QUEUE', 'LAST SEEN']);
    expect(row.split(/\s{2,}/).slice(0, 5)).toEqual(['mx1.example.net', expect.stringMatching(/^[0-9a-f-]{36}$/), 'eu', 'offline', '0']);
    expect(rest).toEqual([]);

    const json = await qfleet(['--json', 'hosts', 'list']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual((await ctl.api('GET', '/api/hosts')).body);
  });

  it('sets the document from a file and from standard input, and gets it back by name or id', async () => {
    const doc = { locals: ['example.com', 'one.example'], rcpthosts: ['example.com'], databytes: 20000000 };
    const set = await qfleet(['config', 'set', 'mx1.example.net', file('doc.json', doc), '--yes']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(/^mx1\.example\.net: saved as revision 1$/m);

    const get = await qfleet(['config', 'get', 'mx1.example.net']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual(doc);

    const fromStdin = await qfleet(['config', 'set', 'mx1.example.net', '-', '--yes'], { input: JSON.stringify({ ...doc, databytes: 10000000 }) });
    expect(fromStdin.stdout).toContain('saved as revision 2');
    const id = (await ctl.api('GET', '/api/hosts')).body[0].id;
    const byId = await qfleet(['--json', 'config', 'get', id]);
    expect(JSON.parse(byId.stdout)).toEqual({ revision: 2, document: { ...doc, databytes: 10000000 } });
  });

  it('prints each field the controller refuses and exits 1, changing nothing', async () => {
    const r = await qfleet(['config', 'set', 'mx1.example.net', file('bad.json', { locals: ['not a domain', 'example.com'], rcpthosts: ['bad domain!'] })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^qfleet: invalid .*\(2 fields\):$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^ {2}locals\[0\]: \S/), expect.stringMatching(/^ {2}rcpthosts\[0\]: \S/)]);
    expect((await ctl.api('GET', `/api/hosts/${(await ctl.api('GET', '/api/hosts')).body[0].id}/config`)).body.revision).toBe(2);

    const notJson = await qfleet(['config', 'set', 'mx1.example.net', file('broken.json', '{"locals": [')]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^qfleet: .*broken\.json is not valid JSON/);
  });

  it('edits the document in $EDITOR, shows the diff and saves it with --yes', async () => {
    const r = await qfleet(['config', 'edit', 'mx1.example.net', '--yes'], { env: { EDITOR: 'sed -i s/one.example/two.example/' } });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('--- mx1.example.net revision 2');
    expect(r.stdout).toContain('-    "one.example"');
    expect(r.stdout).toContain('+    "two.example"');
    expect(r.stdout).toMatch(/^mx1\.example\.net: saved as revision 3$/m);
    const get = await qfleet(['config', 'get', 'mx1.example.net']);
    expect(JSON.parse(get.stdout).locals).toEqual(['example.com', 'two.example']);

    // Without --yes and without a terminal to ask on, nothing is saved.
    const noTty = await qfleet(['config', 'edit', 'mx1.example.net'], { env: { EDITOR: 'sed -i s/two.example/three.example/' } });
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('pass --yes');
    const unchanged = await qfleet(['config', 'edit', 'mx1.example.net'], { env: { EDITOR: 'true' } });
    expect(unchanged).toMatchObject({ code: 0, stdout: 'mx1.example.net: no changes\n' });
    expect((await qfleet(['--json', 'config', 'get', 'mx1.example.net'])).stdout).toContain('"revision": 3');
  });

  it('shows the plan of an offline host', async () => {
    const r = await qfleet(['plan', 'mx1.example.net']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mx1\.example\.net: desired revision 3, applied 0$/m);
    expect(r.stdout).toContain('create control/locals');
  });

  it('creates, lists and deletes API tokens, and a viewer token is refused with the role named', async () => {
    const created = await qfleet(['--json', 'tokens', 'create', 'reader', 'viewer']);
    expect(created.code).toBe(0);
    const viewer = JSON.parse(created.stdout);
    expect(viewer).toMatchObject({ name: 'reader', role: 'viewer', token: expect.stringMatching(/^qft_/) });

    const list = await qfleet(['tokens', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${viewer.id}\\s+reader\\s+viewer\\s`, 'm'));
    expect(list.stdout).not.toContain(viewer.token);

    const refused = await qfleet(['hosts', 'add', 'mx2.example.net'], { env: { QFLEET_TOKEN: viewer.token } });
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'qfleet: this needs the admin role; the token "reader" is viewer\n' });
    expect((await qfleet(['hosts', 'list'], { env: { QFLEET_TOKEN: viewer.token } })).code).toBe(0);

    expect(await qfleet(['tokens', 'delete', viewer.id])).toMatchObject({ code: 0, stdout: `deleted token ${viewer.id}\n` });
    const gone = await qfleet(['hosts', 'list'], { env: { QFLEET_TOKEN: viewer.token } });
    expect(gone).toMatchObject({ code: 1, stderr: 'qfleet: unknown API token\n' });
  });

  it('reports usage errors on one line with exit 2, and a missing host with exit 1', async () => {
    const missingArg = await qfleet(['hosts', 'show']);
    expect(missingArg.code).toBe(2);
    expect(missingArg.stderr).toMatch(/^qfleet: missing required argument 'host'\n$/);

    const badRole = await qfleet(['tokens', 'create', 'x', 'root']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/^qfleet: .*viewer, operator, admin/);

    const noToken = await qfleet(['hosts', 'list'], { env: { QFLEET_TOKEN: '' } });
    expect(noToken).toMatchObject({ code: 2, stderr: 'qfleet: no API token: pass --token or set QFLEET_TOKEN\n' });

    const unknownHost = await qfleet(['config', 'get', 'nowhere.example.net']);
    expect(unknownHost).toMatchObject({ code: 1, stderr: 'qfleet: no host with the id or name "nowhere.example.net"\n' });
  });
});
