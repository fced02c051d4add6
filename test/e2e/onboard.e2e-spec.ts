import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_BULK_HOSTS } from '@qfleet/protocol';
import { TestController } from '../support/controller';
import { testDatabases } from '../support/databases';
import { runCli } from '../support/cli';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { waitFor, type Proc } from '../support/processes';

/**
 * Onboarding a provider's inventory (issue 11, "onboard"): `POST /api/hosts/bulk` all or none,
 * `qfleet hosts import` with its tokens file, and an agent enrolling with a token from that file;
 * on the real controller and database.
 */
describe.each(testDatabases())('onboarding many hosts on the %s database', (db) => {
  let ctl: TestController;
  let work: string;
  const procs: Proc[] = [];
  const trees: QmailTree[] = [];

  const qfleet = (args: string[], opts: { input?: string } = {}) => runCli(ctl.url, args, opts);
  const names = async () => ((await ctl.api('GET', '/api/hosts')).body as { name: string }[]).map((h) => h.name).sort();
  function file(name: string, content: string): string {
    const p = path.join(work, name);
    fs.writeFileSync(p, content);
    return p;
  }

  beforeAll(async () => {
    ctl = await TestController.start(db);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-onboard-'));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await ctl?.stop();
    trees.forEach((t) => t.remove());
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('creates hosts in one call, with their groups, an audit entry each, and a one-time enrol token each', async () => {
    const r = await ctl.api('POST', '/api/hosts/bulk', {
      hosts: [{ name: 'b1.example.net', groups: ['bulk-eu', 'bulk-edge'] }, { name: 'b2.example.net', groups: ['bulk-eu'] }, { name: 'b3.example.net' }],
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      dryRun: false,
      count: 3,
      created: [
        { id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'b1.example.net', groups: ['bulk-eu', 'bulk-edge'], enrollToken: expect.stringMatching(/^qfe_/) },
        { id: expect.any(String), name: 'b2.example.net', groups: ['bulk-eu'], enrollToken: expect.stringMatching(/^qfe_/) },
        { id: expect.any(String), name: 'b3.example.net', groups: [], enrollToken: expect.stringMatching(/^qfe_/) },
      ],
    });
    const created = r.body.created as { id: string; enrollToken: string }[];
    expect(new Set(created.map((h) => h.enrollToken)).size).toBe(3);
    const b1 = await ctl.host(created[0].id);
    expect(b1).toMatchObject({ name: 'b1.example.net', groups: ['bulk-eu', 'bulk-edge'], connected: false });
    const groups = ((await ctl.api('GET', '/api/groups')).body as { name: string }[]).map((g) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['bulk-eu', 'bulk-edge']));
    const audit = (await ctl.api('GET', `/api/audit?target=host:${created[1].id}`)).body as { action: string; diff: unknown }[];
    expect(audit).toEqual([expect.objectContaining({ action: 'host.create', diff: { name: 'b2.example.net', groups: ['bulk-eu'], bulk: 3 } })]);
  });

  it('refuses a call with any bad row, naming its index and field, and creates none of it', async () => {
    const before = await names();
    const bad = await ctl.api('POST', '/api/hosts/bulk', {
      hosts: [{ name: 'ok1.example.net' }, { name: 'bad name!' }, { name: 'ok2.example.net', groups: ['no spaces'] }, { name: 'ok1.example.net' }, { name: 'x.example.net', labels: {} }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([
      { path: 'hosts[1].name', message: 'must be letters, digits, dots and dashes' },
      { path: 'hosts[2].groups[0]', message: 'must be letters, digits, _ . -' },
      { path: 'hosts[4].labels', message: 'unknown field' },
      { path: 'hosts[3].name', message: 'ok1.example.net is given twice (first at hosts[0])' },
    ]);

    const taken = await ctl.api('POST', '/api/hosts/bulk', { hosts: [{ name: 'new.example.net' }, { name: 'b2.example.net' }] });
    expect(taken.status).toBe(409);
    expect(taken.body.fields).toEqual([{ path: 'hosts[1].name', message: expect.stringMatching(/^a host named b2\.example\.net exists already \(id [0-9a-f-]{36}\)$/) }]);

    const tooMany = await ctl.api('POST', '/api/hosts/bulk', { hosts: Array.from({ length: MAX_BULK_HOSTS + 1 }, (_, i) => ({ name: `h${i}.example.net` })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.fields).toEqual([{ path: 'hosts', message: `at most ${MAX_BULK_HOSTS} hosts per call; send more in several calls` }]);

    const dry = await ctl.api('POST', '/api/hosts/bulk', { hosts: [{ name: 'dry.example.net' }], dryRun: true });
    expect(dry).toEqual({ status: 201, body: { dryRun: true, count: 1, created: [] } });

    const operator = (await ctl.api('POST', '/api/tokens', { name: 'onboard operator', role: 'operator' })).body.token as string;
    expect((await ctl.api('POST', '/api/hosts/bulk', { hosts: [{ name: 'op.example.net' }] }, operator)).status).toBe(403);
    expect(await names()).toEqual(before);
  });

  it('hosts created at once naming the same new group all succeed, and the same name at once is one 201 and 409s', async () => {
    const group = `race-${db}`;
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => ctl.api('POST', '/api/hosts', { name: `race${i}.example.net`, groups: [group] })));
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(201));
    const bulk = await Promise.all(Array.from({ length: 4 }, (_, i) => ctl.api('POST', '/api/hosts/bulk', { hosts: [{ name: `race-bulk${i}.example.net`, groups: [`${group}-bulk`, group] }] })));
    expect(bulk.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect((await ctl.api('GET', `/api/groups/${group}`)).status).toBe(200);

    // Bulk calls racing for the same names: one creates them all, the others create none.
    const names50 = Array.from({ length: 50 }, (_, i) => ({ name: `contested${i}.example.net` }));
    const contested = await Promise.all(Array.from({ length: 4 }, () => ctl.api('POST', '/api/hosts/bulk', { hosts: names50 })));
    expect(contested.map((a) => a.status).sort()).toEqual([201, 409, 409, 409]);
    for (const lost of contested.filter((a) => a.status === 409)) expect(lost.body.fields).toHaveLength(50);
    expect((await names()).filter((n) => n.startsWith('contested'))).toHaveLength(50);

    const same = await Promise.all(Array.from({ length: 8 }, () => ctl.api('POST', '/api/hosts', { name: 'same.example.net', groups: [`${group}-same`] })));
    expect(same.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('qfleet hosts import: a bad row names its line and field and creates nothing; --dry-run creates nothing', async () => {
    const before = await names();
    const csv = file('bad.csv', 'name,groups\ni1.example.net,eu\n\ni2 .example.net,eu\ni3.example.net,eu;bad group\n');
    const bad = await qfleet(['hosts', 'import', csv, '--tokens-out', path.join(work, 'never.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      `qfleet: ${csv}: 2 problems, nothing created:`,
      '  line 4: name: must be letters, digits, dots and dashes',
      '  line 5: groups[1]: must be letters, digits, _ . -',
    ]);
    expect(fs.existsSync(path.join(work, 'never.csv'))).toBe(false);

    // A field the API does not know is named by its row and its own name.
    const extra = await qfleet(['hosts', 'import', file('extra.json', JSON.stringify([{ name: 'j1.example.net' }, { name: 'j2.example.net', labels: {}, colour: 'red' }])), '--tokens-out', path.join(work, 'never.csv')]);
    expect(extra.code).toBe(1);
    expect(extra.stderr.trimEnd().split('\n').slice(1)).toEqual(['  [1]: labels: unknown field', '  [1]: colour: unknown field']);

    // A name the fleet has already is found by the controller, also named by line.
    const taken = await qfleet(['hosts', 'import', file('taken.csv', 'name\nfree.example.net\nb1.example.net\n'), '--tokens-out', path.join(work, 'never.csv')]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^ {2}line 3: name: a host named b1\.example\.net exists already/m);
    expect(fs.existsSync(path.join(work, 'never.csv'))).toBe(false);

    const dry = await qfleet(['hosts', 'import', file('dry.csv', 'name,groups\nd1.example.net,eu\nd2.example.net,\n'), '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('2 hosts to create, all valid; nothing created (dry run)');
    expect(await names()).toEqual(before);
  });

  it('qfleet hosts import: in chunks, tokens written once to a new 0600 file, never over an existing one; a token from it enrols a real agent', async () => {
    const n = MAX_BULK_HOSTS + 5;
    const rows = Array.from({ length: n }, (_, i) => `imp${i}.example.net,${i % 2 ? 'imp-odd' : 'imp-even;imp-all'}`);
    const csv = file('fleet.csv', `name,groups\n${rows.join('\n')}\n`);
    const out = path.join(work, 'tokens.csv');
    const r = await qfleet(['hosts', 'import', csv, '--tokens-out', out]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`created ${n} hosts in 2 calls; enrol tokens (name,id,token, shown only this once) in ${out}`);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('name,id,token');
    expect(lines).toHaveLength(n + 1);
    const tokens = lines.slice(1).map((l) => l.split(','));
    expect(tokens.map((t) => t[0])).toEqual(Array.from({ length: n }, (_, i) => `imp${i}.example.net`));
    const hosts = (await ctl.api('GET', '/api/hosts')).body as { id: string; name: string; groups: string[] }[];
    expect(hosts.find((h) => h.name === 'imp1004.example.net')).toMatchObject({ id: tokens[n - 1][1], groups: ['imp-even', 'imp-all'] });

    // The file is written once: a second import to it is refused before anything is created.
    const again = await qfleet(['hosts', 'import', file('more.csv', 'name\nmore.example.net\n'), '--tokens-out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`qfleet: ${out} exists already: enrol tokens are written only to a new file\n`);
    expect(fs.readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(n + 1);
    expect(await names()).not.toContain('more.example.net');

    const [name, id, token] = tokens[7];
    const tree = new QmailTree();
    trees.push(tree);
    const agent = startAgent({ controllerUrl: ctl.url, token, qmailHome: tree.home });
    procs.push(agent.proc);
    await waitFor('the imported host to connect', async () => (await ctl.host(id)).connected);
    await agent.proc.waitForLine(/enrolled; the host secret is stored/);
    expect(JSON.parse(fs.readFileSync(path.join(agent.stateDir, 'credentials.json'), 'utf8')).hostId).toBe(id);
    expect((await ctl.host(id)).name).toBe(name);
  });

  it('qfleet hosts import -: JSON on standard input, tokens printed (CSV, or the answer with --json)', async () => {
    const r = await qfleet(['hosts', 'import', '-'], { input: JSON.stringify([{ name: 'j1.example.net', groups: ['json'] }, { name: 'j2.example.net' }]) });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual(['name,id,token', expect.stringMatching(/^j1\.example\.net,[0-9a-f-]{36},qfe_\S+$/), expect.stringMatching(/^j2\.example\.net,[0-9a-f-]{36},qfe_\S+$/)]);
    expect(r.stderr).toBe('qfleet: created 2 hosts in 1 call; their enrol tokens above are shown only this once\n');

    const json = await qfleet(['--json', 'hosts', 'import', '-'], { input: JSON.stringify([{ name: 'j3.example.net' }]) });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ created: [{ id: expect.any(String), name: 'j3.example.net', groups: [], enrollToken: expect.stringMatching(/^qfe_/) }] });

    const bad = await qfleet(['hosts', 'import', '-'], { input: '[{"name": "ok.example.net"}, {"name": "ok.example.net", "groups": "eu"}]' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      'qfleet: standard input: 2 problems, nothing created:',
      expect.stringMatching(/^ {2}\[1\]: groups: /),
      '  [1]: name: ok.example.net is given twice (first at [0])',
    ]);
  });

  it('qfleet hosts enroll, rotate and revoke still resolve a host by name and print the answer', async () => {
    const host = await ctl.createHost('cli-identity.example.net');
    const enroll = await qfleet(['hosts', 'enroll', 'cli-identity.example.net']);
    expect(enroll.code).toBe(0);
    expect(enroll.stdout).toMatch(/^new enrol token for cli-identity\.example\.net \(shown only this once\): qfe_\S+$/m);
    const rotate = await qfleet(['hosts', 'rotate', host.id]);
    expect(rotate).toMatchObject({ code: 1, stderr: 'qfleet: host cli-identity.example.net has not enrolled yet; nothing to rotate\n' });
    const revoke = await qfleet(['--json', 'hosts', 'revoke', 'CLI-IDENTITY.example.net']);
    expect(revoke.code).toBe(0);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ id: host.id, name: 'cli-identity.example.net' });
  });
});
