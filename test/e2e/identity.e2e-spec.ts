import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { AGENT_SOCKET_PATH } from '@qfleet/protocol';
import { TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { runCli } from '../support/cli';
import { QmailTree } from '../support/qmail-tree';
import { testDatabases } from '../support/databases';
import { waitFor, type Proc } from '../support/processes';

/** Connects to the `/agents` namespace with a token: the handshake's verdict, and the socket. */
function agentSocket(url: string, token: string): Promise<{ socket: Socket; error?: string }> {
  const socket = io(`${url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (e) => (socket.close(), resolve({ socket, error: e.message })));
  });
}

function readCreds(stateDir: string): { hostId: string; secret: string } {
  return JSON.parse(fs.readFileSync(path.join(stateDir, 'credentials.json'), 'utf8'));
}

function canMakeImmutable(): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-chattr-'));
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The identity lifecycle of agents and API tokens (issue 10, "Identity lifecycle"; issue 11,
 * "Enrolment that cannot lose a host"), with the real controller and real agents.
 */
describe.each(testDatabases())('agent and token identity on the %s database', (db) => {
  let ctl: TestController;
  const trees: QmailTree[] = [];
  const procs: Proc[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    ctl = await TestController.start(db);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(procs.map((p) => p.stop()));
    await ctl?.stop();
    trees.forEach((t) => t.remove());
  });

  function tree(): QmailTree {
    const t = new QmailTree();
    trees.push(t);
    return t;
  }

  function agent(opts: { token?: string; stateDir?: string; name?: string }): { proc: Proc; stateDir: string } {
    const started = startAgent({ controllerUrl: ctl.url, qmailHome: tree().home, ...opts });
    procs.push(started.proc);
    return started;
  }

  const connected = (id: string) => waitFor('the agent to connect', async () => (await ctl.host(id)).connected);
  const audit = async (id: string) => ((await ctl.api('GET', `/api/audit?target=host:${id}`)).body as { action: string }[]).map((e) => e.action);

  it('hole 9: deleting an API token drops its open /ui sockets at once, and only those', async () => {
    const mk = async (name: string) => (await ctl.api('POST', '/api/tokens', { name, role: 'viewer' })).body as { id: string; token: string };
    const doomed = await mk('wallboard');
    const kept = await mk('other wallboard');
    const open = async (token: string) => {
      const s = io(`${ctl.url}/ui`, { auth: { token }, transports: ['websocket'], reconnection: false });
      sockets.push(s);
      await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
      return s;
    };
    const a = await open(doomed.token);
    const b = await open(kept.token);
    const dropped = new Promise<string>((resolve) => a.once('disconnect', (reason) => resolve(reason)));

    expect((await ctl.api('DELETE', `/api/tokens/${doomed.id}`)).status).toBe(204);
    expect(await dropped).toBe('io server disconnect');
    // The other token's socket still listens, and the deleted one cannot come back.
    expect(b.connected).toBe(true);
    await expect(open(doomed.token)).rejects.toThrow('unknown API token');
  });

  it('an enrolment whose secret was never stored does not spend the enrol token', async () => {
    const host = await ctl.createHost('lost-ack.example.net');
    // An agent that receives its secret and dies before storing it: no ack.
    const first = io(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, auth: { token: host.enrollToken }, transports: ['websocket'], reconnection: false });
    sockets.push(first);
    // Listening before the connection opens: `enrolled` follows the connect at once.
    const lost = await new Promise<{ secret: string }>((resolve, reject) => {
      first.once('enrolled', (p: { secret: string }) => resolve(p));
      first.once('connect_error', reject);
    });
    first.close();

    // The real agent enrols with the same token, stores its secret and confirms it.
    const { proc, stateDir } = agent({ token: host.enrollToken });
    await connected(host.id);
    const creds = readCreds(stateDir);
    expect(creds.hostId).toBe(host.id);
    expect(fs.statSync(path.join(stateDir, 'credentials.json')).mode & 0o777).toBe(0o600);

    // The lost secret is not the host's, and the enrol token is spent now that one is stored.
    expect((await agentSocket(ctl.url, lost.secret)).error).toBe('unknown or already used agent token');
    expect((await agentSocket(ctl.url, host.enrollToken)).error).toBe('unknown or already used agent token');
  });

  // An immutable state dir (chattr +i: even root cannot create a file in it) stands for a full
  // or read-only disk; it needs root and a file system with the flag (ext4, xfs…).
  (canMakeImmutable() ? it : it.skip)('an agent that cannot store its secret keeps its enrol token and enrols once it can', async () => {
    const host = await ctl.createHost('full-disk.example.net');
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-agent-'));
    execFileSync('chattr', ['+i', stateDir]);
    try {
      const { proc } = agent({ token: host.enrollToken, stateDir });
      await proc.waitForLine(/cannot store the host secret/);
      await ctl.proc.waitForLine(/the agent could not store its secret .*; the enrol token still works/);
      expect((await ctl.host(host.id)).connected).toBe(false);

      execFileSync('chattr', ['-i', stateDir]);
      await connected(host.id);
      expect(readCreds(stateDir).hostId).toBe(host.id);
      expect(proc.running).toBe(true);
    } finally {
      execFileSync('chattr', ['-i', stateDir]);
    }
  });

  it('a new enrol token for an existing host: admin only, audited, and the old secret ends when an agent enrols with it', async () => {
    const host = await ctl.createHost('reinstalled.example.net');
    const old = agent({ token: host.enrollToken, name: 'old agent' });
    await connected(host.id);
    const oldSecret = await waitFor('the stored secret', () => fs.existsSync(path.join(old.stateDir, 'credentials.json')) && readCreds(old.stateDir).secret);

    const operator = (await ctl.api('POST', '/api/tokens', { name: 'ops', role: 'operator' })).body as { token: string };
    expect((await ctl.api('POST', `/api/hosts/${host.id}/enroll`, undefined, operator.token)).status).toBe(403);
    const r = await ctl.api('POST', `/api/hosts/${host.id}/enroll`);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: host.id, name: 'reinstalled.example.net', enrollToken: expect.stringMatching(/^qfe_/) });
    // Issuing a token locks nobody out: the old agent stays.
    expect((await ctl.host(host.id)).connected).toBe(true);

    const fresh = agent({ token: r.body.enrollToken, name: 'new agent' });
    await fresh.proc.waitForLine(/enrolled; the host secret is stored/);
    // The old agent is dropped; its secret is refused now, and it exits with the reason.
    expect(await old.proc.exited).toEqual({ code: 3, signal: null });
    expect(old.proc.output.join('\n')).toContain('unknown or already used agent token');
    expect((await agentSocket(ctl.url, oldSecret)).error).toBe('unknown or already used agent token');
    await connected(host.id);
    expect(await audit(host.id)).toEqual(expect.arrayContaining(['host.create', 'host.enroll']));
  });

  it('rotates a connected agent\'s secret: stored 0600, the old one refused, the agent keeps working; offline is a 409', async () => {
    const host = await ctl.createHost('rotate.example.net');
    const a = agent({ token: host.enrollToken });
    await connected(host.id);
    await a.proc.waitForLine(/enrolled; the host secret is stored/);
    const before = readCreds(a.stateDir).secret;

    const r = await ctl.api('POST', `/api/hosts/${host.id}/rotate-secret`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: host.id, name: 'rotate.example.net', rotatedAt: expect.any(String) });
    await a.proc.waitForLine(/a new host secret is stored/);
    const after = readCreds(a.stateDir).secret;
    expect(after).not.toBe(before);
    expect(fs.statSync(path.join(a.stateDir, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect((await agentSocket(ctl.url, before)).error).toBe('unknown or already used agent token');
    expect(await audit(host.id)).toContain('host.rotate-secret');

    // A restarted agent comes back with the new secret alone.
    await a.proc.stop();
    await waitFor('the agent to disconnect', async () => !(await ctl.host(host.id)).connected);
    const offline = await ctl.api('POST', `/api/hosts/${host.id}/rotate-secret`);
    expect(offline.status).toBe(409);
    expect(offline.body.message).toContain('not connected');
    agent({ stateDir: a.stateDir });
    await connected(host.id);
    expect(readCreds(a.stateDir).secret).toBe(after);
  });

  it('revokes a host: the agent is dropped, refused with the reason and exits 3; a new enrol token brings it back', async () => {
    const host = await ctl.createHost('revoke.example.net');
    const a = agent({ token: host.enrollToken });
    await connected(host.id);
    await a.proc.waitForLine(/enrolled; the host secret is stored/);
    const secret = readCreds(a.stateDir).secret;

    const r = await ctl.api('POST', `/api/hosts/${host.id}/revoke`);
    expect(r.status).toBe(200);
    expect(await a.proc.exited).toEqual({ code: 3, signal: null });
    expect(a.proc.output.join('\n')).toMatch(/refused this agent's token: this host's agent credentials were revoked/);
    expect((await ctl.host(host.id)).connected).toBe(false);
    expect((await agentSocket(ctl.url, secret)).error).toMatch(/^this host's agent credentials were revoked at .*qfleet hosts enroll revoke\.example\.net/);
    expect((await ctl.api('POST', `/api/hosts/${host.id}/rotate-secret`)).status).toBe(409);

    const again = await ctl.api('POST', `/api/hosts/${host.id}/enroll`);
    // The same state dir, its revoked secret still stored: the agent falls back to --token.
    const back = agent({ stateDir: a.stateDir, token: again.body.enrollToken });
    await back.proc.waitForLine(/the stored host secret was refused; enrolling with --token/);
    await connected(host.id);
    expect(readCreds(a.stateDir).secret).not.toBe(secret);
    expect(await audit(host.id)).toEqual(expect.arrayContaining(['host.revoke', 'host.enroll']));
  });

  it('qfleet hosts enroll | rotate | revoke NAME', async () => {
    const host = await ctl.createHost('cli-identity.example.net');
    const a = agent({ token: host.enrollToken });
    await connected(host.id);

    const rotate = await runCli(ctl.url, ['hosts', 'rotate', 'cli-identity.example.net']);
    expect(rotate.stderr).toBe('');
    expect(rotate.stdout).toContain('rotated the secret of cli-identity.example.net');
    await a.proc.waitForLine(/a new host secret is stored/);

    const revoke = await runCli(ctl.url, ['hosts', 'revoke', 'cli-identity.example.net']);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain('qfleet hosts enroll cli-identity.example.net');
    expect((await a.proc.exited).code).toBe(3);

    const enroll = await runCli(ctl.url, ['--json', 'hosts', 'enroll', 'cli-identity.example.net']);
    expect(enroll.code).toBe(0);
    const token = JSON.parse(enroll.stdout).enrollToken as string;
    agent({ stateDir: a.stateDir, token });
    await connected(host.id);

    const viewer = (await ctl.api('POST', '/api/tokens', { name: 'cli viewer', role: 'viewer' })).body as { token: string };
    const denied = await runCli(ctl.url, ['hosts', 'revoke', 'cli-identity.example.net'], { env: { QFLEET_TOKEN: viewer.token } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('this needs the admin role');
    expect((await ctl.host(host.id)).connected).toBe(true);
  });
});

const REDIS = process.env['QFLEET_TEST_REDIS_URL'];
const PG = process.env['QFLEET_TEST_PG_URL'];

/** The same lifecycle when the socket sits on the other replica (socket.io's Redis adapter). */
(PG && REDIS ? describe : describe.skip)('agent and token identity across two replicas', () => {
  let a: TestController;
  let b: TestController;
  const trees: QmailTree[] = [];
  const procs: Proc[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const shared = { REDIS_URL: REDIS, QFLEET_REDIS_KEY: `qfleet-test-${Math.random().toString(36).slice(2, 10)}` };
    a = await TestController.start('postgres', shared);
    b = await TestController.replicaOf(a);
  }, 120_000);
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(procs.map((p) => p.stop()));
    await b?.stop();
    await a?.stop();
    trees.forEach((t) => t.remove());
  });

  it('a token deleted on one replica loses its /ui socket on the other', async () => {
    const token = (await a.api('POST', '/api/tokens', { name: 'far wallboard', role: 'viewer' })).body as { id: string; token: string };
    const s = io(`${b.url}/ui`, { auth: { token: token.token }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    const dropped = new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));
    expect((await a.api('DELETE', `/api/tokens/${token.id}`)).status).toBe(204);
    expect(await dropped).toBe('io server disconnect');
  });

  it('rotates and revokes an agent connected to the other replica', async () => {
    const host = await a.createHost('far.example.net');
    const t = new QmailTree();
    trees.push(t);
    const { proc, stateDir } = startAgent({ controllerUrl: b.url, token: host.enrollToken, qmailHome: t.home });
    procs.push(proc);
    await waitFor('the agent to connect', async () => (await a.host(host.id)).connected);

    // The other replica answers for the agent through Redis, at once after the connect: the
    // enrolling replica's drop of an older agent of the host (which Redis hands back to that
    // replica too) no longer drops the socket that just enrolled.
    const rotated = await a.api('POST', `/api/hosts/${host.id}/rotate-secret`);
    expect({ status: rotated.status, body: rotated.status === 200 ? undefined : rotated.body }).toEqual({ status: 200, body: undefined });
    await proc.waitForLine(/a new host secret is stored/);
    const secret = readCreds(stateDir).secret;
    // One connection all along: enrolment and rotation dropped nothing.
    expect(proc.output.filter((l) => /\bdisconnected\b/.test(l))).toEqual([]);

    expect((await a.api('POST', `/api/hosts/${host.id}/revoke`)).status).toBe(200);
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    expect((await agentSocket(b.url, secret)).error).toMatch(/^this host's agent credentials were revoked/);
  });
});
