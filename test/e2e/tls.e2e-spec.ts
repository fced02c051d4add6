import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { runCli } from '../support/cli';
import { QmailTree } from '../support/qmail-tree';
import { testDatabases } from '../support/databases';
import { CONTROLLER_MAIN, spawnNode, waitFor, type Proc } from '../support/processes';

/** A CA of its own (openssl CLI), and a server certificate it signed for localhost and 127.0.0.1. */
function makePki(dir: string): { ca: string; otherCa: string; key: string; cert: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=qfleet test CA');
  ssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=another CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.cnf');
  const p = (f: string) => path.join(dir, f);
  return { ca: p('ca.pem'), otherCa: p('other.pem'), key: p('server.key'), cert: p('server.pem') };
}

/** The REST API over HTTPS trusting only `ca` (the test process's fetch knows no custom CA). */
function api(url: string, ca: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      `${url}${route}`,
      { method, ca: fs.readFileSync(ca), headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(data ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const HAS_OPENSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Transport (DESIGN.md "Security"): the controller serves HTTPS and WSS with QFLEET_TLS_KEY and
 * QFLEET_TLS_CERT; the agent verifies it against --ca, and refuses a controller it cannot verify.
 */
(HAS_OPENSSL ? describe.each(testDatabases()) : describe.skip.each(testDatabases()))('HTTPS and WSS on the %s database', (db) => {
  let ctl: TestController;
  let pki: ReturnType<typeof makePki>;
  let dir: string;
  const trees: QmailTree[] = [];
  const procs: Proc[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-pki-'));
    pki = makePki(dir);
    ctl = await TestController.start(db, { QFLEET_TLS_KEY: pki.key, QFLEET_TLS_CERT: pki.cert });
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await ctl?.stop();
    trees.forEach((t) => t.remove());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function hostWithAgent(name: string, args: string[]): Promise<{ id: string; proc: Proc; tree: QmailTree }> {
    const created = await api(ctl.url, pki.ca, 'POST', '/api/hosts', { name });
    expect(created.status).toBe(201);
    const tree = new QmailTree();
    trees.push(tree);
    const { proc } = startAgent({ controllerUrl: ctl.url, token: created.body.enrollToken, qmailHome: tree.home, args, name });
    procs.push(proc);
    return { id: created.body.id, proc, tree };
  }

  it('serves https only', async () => {
    expect(ctl.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await api(ctl.url, pki.ca, 'GET', '/api/hosts')).status).toBe(200);
    // Another CA does not verify it: the client refuses, not the server.
    await expect(api(ctl.url, pki.otherCa, 'GET', '/api/hosts')).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });

  it('an agent given the CA with --ca enrols over WSS and applies a change', async () => {
    const { id, tree } = await hostWithAgent('tls.example.net', ['--ca', pki.ca]);
    await waitFor('the agent to connect', async () => (await api(ctl.url, pki.ca, 'GET', `/api/hosts/${id}`)).body.connected);
    expect((await api(ctl.url, pki.ca, 'PUT', `/api/hosts/${id}/config`, { locals: ['tls.example.net'] })).status).toBe(200);
    await waitFor('revision 1 applied', async () => (await api(ctl.url, pki.ca, 'GET', `/api/hosts/${id}`)).body.appliedRevision === 1);
    expect(tree.read('control/locals')).toBe('tls.example.net\n');
  });

  it.each([
    ['without-ca', [] as string[]],
    ['other-ca', ['--ca', 'OTHER']],
  ])('an agent (%s) refuses to connect and says why', async (label, args) => {
    const { id, proc } = await hostWithAgent(`${label.replace(/ /g, '-')}.example.net`, args.map((a) => (a === 'OTHER' ? pki.otherCa : a)));
    const line = await proc.waitForLine(/the controller's TLS certificate is not trusted \(give its CA with --ca\)/);
    expect(line.input).toMatch(/"cause":"[^"]*(self.signed|unable to verify|certificate)/i);
    expect((await api(ctl.url, pki.ca, 'GET', `/api/hosts/${id}`)).body.connected).toBe(false);
    // The enrol token is not spent: nothing reached the controller.
    expect(proc.running).toBe(true);
  });

  it('refuses to start with a key and no certificate, or a certificate it cannot read, naming the setting', async () => {
    const keyOnly = spawnNode(CONTROLLER_MAIN, [], { QFLEET_TLS_KEY: pki.key, QFLEET_DATA_DIR: path.join(dir, 'never-used') }, 'key-only');
    expect((await keyOnly.exited).code).toBe(1);
    expect(keyOnly.output.join('\n')).toContain('bad setting: QFLEET_TLS_CERT: HTTPS needs both QFLEET_TLS_KEY and QFLEET_TLS_CERT');
    const missing = spawnNode(CONTROLLER_MAIN, [], { QFLEET_TLS_KEY: pki.key, QFLEET_TLS_CERT: path.join(dir, 'nope.pem'), QFLEET_DATA_DIR: path.join(dir, 'never-used') }, 'no-cert');
    expect((await missing.exited).code).toBe(1);
    expect(missing.output.join('\n')).toMatch(/bad setting: QFLEET_TLS_CERT: cannot read .*nope\.pem/);
  });

  it('the CLI works over https with the CA in NODE_EXTRA_CA_CERTS, and says why without it', async () => {
    const ok = await runCli(ctl.url, ['hosts', 'list'], { env: { NODE_EXTRA_CA_CERTS: pki.ca } });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('tls.example.net');

    const refused = await runCli(ctl.url, ['hosts', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot reach the controller at https:.*(SELF_SIGNED|UNABLE_TO_VERIFY).*NODE_EXTRA_CA_CERTS/);
  });
});
