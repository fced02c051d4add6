import fs from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { AGENT_SOCKET_PATH } from '@qfleet/protocol';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { testDatabases } from '../support/databases';
import { waitFor } from '../support/processes';

describe.each(testDatabases())('API tokens and roles on the %s database', (db) => {
  let ctl: TestController;
  const trees: QmailTree[] = [];

  beforeAll(async () => {
    ctl = await TestController.start(db);
  });
  afterAll(async () => {
    await ctl?.stop();
    trees.forEach((t) => t.remove());
  });

  async function createToken(name: string, role: string): Promise<{ id: string; name: string; role: string; token: string }> {
    const r = await ctl.api('POST', '/api/tokens', { name, role });
    if (r.status !== 201) throw new Error(`create token: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  it('creates a token whose secret is shown once, lists tokens without secrets, and audits both', async () => {
    const created = await createToken('ci deploy', 'operator');
    expect(created).toEqual({ id: expect.any(String), name: 'ci deploy', role: 'operator', token: expect.stringMatching(/^qft_[A-Za-z0-9_-]{40,}$/) });

    const list = await ctl.api('GET', '/api/tokens');
    expect(list.status).toBe(200);
    const row = list.body.find((t: { id: string }) => t.id === created.id);
    expect(row).toEqual({ id: created.id, name: 'ci deploy', role: 'operator', createdAt: expect.any(String), lastUsed: null });
    expect(JSON.stringify(list.body)).not.toContain(created.token);
    expect(list.body.every((t: Record<string, unknown>) => !('token' in t) && !('tokenHash' in t))).toBe(true);

    // Using it shows when it was last used: a live token is told from a forgotten one.
    expect((await ctl.api('GET', '/api/hosts', undefined, created.token)).status).toBe(200);
    const used = await waitFor('lastUsed recorded', async () => (await ctl.api('GET', '/api/tokens')).body.find((t: { id: string; lastUsed: string | null }) => t.id === created.id && t.lastUsed));
    expect(Date.now() - Date.parse(used.lastUsed)).toBeLessThan(60_000);

    expect((await ctl.api('DELETE', `/api/tokens/${created.id}`)).status).toBe(204);
    const audit = await ctl.api('GET', `/api/audit?target=token:${created.id}`);
    expect(audit.body.map((e: { action: string }) => e.action).sort()).toEqual(['token.create', 'token.delete']);
    expect(audit.body[0].diff).toEqual({ name: 'ci deploy', role: 'operator' });
  });

  it('refuses a bad token request with a 400 naming each field', async () => {
    const r = await ctl.api('POST', '/api/tokens', { name: '', role: 'root', extra: 1 });
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['extra', 'name', 'role']);
    expect(r.body.message).toContain('role');
    expect(r.body.message).toContain('extra');
    expect((await ctl.api('DELETE', '/api/tokens/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('keeps the last admin token, and lets an admin delete their own token when another admin remains', async () => {
    const envAdmin = (await ctl.api('GET', '/api/tokens')).body.find((t: { role: string }) => t.role === 'admin');
    const last = await ctl.api('DELETE', `/api/tokens/${envAdmin.id}`);
    expect(last.status).toBe(409);
    expect(last.body.message).toContain('last admin token');

    const second = await createToken('second admin', 'admin');
    expect((await ctl.api('DELETE', `/api/tokens/${second.id}`, undefined, second.token)).status).toBe(204);
    expect((await ctl.api('GET', '/api/hosts', undefined, second.token)).status).toBe(401);
    expect((await ctl.api('GET', '/api/hosts', undefined, ADMIN_TOKEN)).status).toBe(200);
  });

  it('lets a viewer read, an operator change configuration, and only an admin manage hosts and tokens', async () => {
    const host = await ctl.createHost('roles.example.net');
    const viewer = await createToken('reader', 'viewer');
    const operator = await createToken('on call', 'operator');

    // viewer: reads, and every write is 403 with a message naming the role it lacks and has
    expect((await ctl.api('GET', '/api/hosts', undefined, viewer.token)).status).toBe(200);
    expect((await ctl.api('GET', `/api/hosts/${host.id}/config`, undefined, viewer.token)).status).toBe(200);
    const viewerPut = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['example.com'] }, viewer.token);
    expect(viewerPut.status).toBe(403);
    expect(viewerPut.body.message).toBe('this needs the operator role; the token "reader" is viewer');
    const viewerHost = await ctl.api('POST', '/api/hosts', { name: 'nope.example.net' }, viewer.token);
    expect(viewerHost.status).toBe(403);
    expect(viewerHost.body.message).toContain('admin role');
    const viewerToken = await ctl.api('POST', '/api/tokens', { name: 'escalate', role: 'admin' }, viewer.token);
    expect(viewerToken.status).toBe(403);
    const viewerRollout = await ctl.api('POST', '/api/rollouts', { target: { hosts: [host.id] }, change: { add: { locals: ['x.example'] } }, dryRun: true }, viewer.token);
    expect(viewerRollout.status).toBe(403);
    expect((await ctl.api('GET', '/api/rollouts', undefined, viewer.token)).status).toBe(200);
    expect((await ctl.api('POST', '/api/actions', { target: { hosts: [host.id] }, action: 'flush' }, viewer.token)).status).toBe(403);
    expect(viewerToken.body.message).toContain('is viewer');

    // operator: changes configuration, not hosts or tokens
    const opPut = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['example.com'] }, operator.token);
    expect(opPut.status).toBe(200);
    expect(opPut.body.revision).toBe(1);
    const opHost = await ctl.api('POST', '/api/hosts', { name: 'nope.example.net' }, operator.token);
    expect(opHost.status).toBe(403);
    expect(opHost.body.message).toBe('this needs the admin role; the token "on call" is operator');
    expect((await ctl.api('POST', '/api/tokens', { name: 'escalate', role: 'admin' }, operator.token)).status).toBe(403);
    expect((await ctl.api('GET', '/api/tokens', undefined, operator.token)).status).toBe(403);
    expect((await ctl.api('DELETE', `/api/tokens/${viewer.id}`, undefined, operator.token)).status).toBe(403);
    expect((await ctl.api('GET', '/api/hosts?q=nope.example.net')).body.map((h: { name: string }) => h.name)).not.toContain('nope.example.net');

    // a deleted token stops working at once
    expect((await ctl.api('DELETE', `/api/tokens/${viewer.id}`)).status).toBe(204);
    const gone = await ctl.api('GET', '/api/hosts', undefined, viewer.token);
    expect(gone.status).toBe(401);
    expect(gone.body.message).toContain('unknown API token');
  });

  it("refuses an agent's secret on the REST API, and a report over host A's socket only ever updates host A", async () => {
    const a = await ctl.createHost('a.example.net');
    const b = await ctl.createHost('b.example.net');
    const enrol = async (enrollToken: string, name: string) => {
      const tree = new QmailTree();
      trees.push(tree);
      const agent = startAgent({ controllerUrl: ctl.url, token: enrollToken, qmailHome: tree.home, name });
      await agent.proc.waitForLine(/enrolled/);
      await agent.proc.stop();
      return JSON.parse(fs.readFileSync(`${agent.stateDir}/credentials.json`, 'utf8')).secret as string;
    };
    const secretA = await enrol(a.enrollToken, 'agent-a');
    await enrol(b.enrollToken, 'agent-b');

    const rest = await ctl.api('GET', `/api/hosts/${a.id}`, undefined, secretA);
    expect(rest.status).toBe(401);

    const connect = async (): Promise<Socket> => {
      const s = io(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, transports: ['websocket'], auth: { token: secretA }, reconnection: false });
      await new Promise<void>((resolve, reject) => (s.on('connect', resolve), s.on('connect_error', reject)));
      return s;
    };
    const report = { agentVersion: 'raw-socket', appliedRevision: 99, qmail: { installed: true, running: true }, files: {} };

    const socket = await connect();
    try {
      socket.emit('report', report);
      await waitFor("host A's appliedRevision 99", async () => (await ctl.host(a.id)).appliedRevision === 99);
    } finally {
      socket.close();
    }
    // B's own hello may be stored at any time here (reports are written in batches), so what is
    // checked is that nothing of A's report ever reached B.
    const after = await ctl.host(b.id);
    expect(after.appliedRevision).not.toBe(99);
    expect(after.agentVersion).not.toBe('raw-socket');

    // Naming another host in the payload does not redirect it: the payload is refused.
    const sneaky = await connect();
    try {
      const refused = new Promise<{ message: string }>((resolve) => sneaky.on('refused', resolve));
      sneaky.emit('report', { ...report, appliedRevision: 98, hostId: b.id });
      expect((await refused).message).toContain('hostId');
    } finally {
      sneaky.close();
    }
    expect((await ctl.host(b.id)).appliedRevision).not.toBe(98);
    expect((await ctl.host(a.id)).appliedRevision).toBe(99);
  });
});
