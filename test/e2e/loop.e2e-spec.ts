import { io } from 'socket.io-client';
import { TestController } from '../support/controller';
import { AGENT_SOCKET_PATH } from '@qfleet/protocol';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { testDatabases } from '../support/databases';
import { waitFor } from '../support/processes';

describe.each(testDatabases())('the end-to-end loop on the %s database', (db) => {
  let ctl: TestController;
  const trees: QmailTree[] = [];
  const tree = () => {
    const t = new QmailTree();
    trees.push(t);
    return t;
  };

  beforeAll(async () => {
    ctl = await TestController.start(db);
  });
  afterAll(async () => {
    await ctl?.stop();
    trees.forEach((t) => t.remove());
  });

  it('writes a PUT config to disk byte-exact, acknowledges it, and converges after the agent was offline', async () => {
    const qmail = tree();
    qmail.write('control/me', 'mx.example.net\n'); // not in the document: must stay untouched
    const host = await ctl.createHost('mx1.example.net');
    const put = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['Example.COM', 'mail.example.org'], databytes: 20000000 });
    expect(put.status).toBe(200);
    expect(put.body.revision).toBe(1);

    const agent = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: qmail.home });
    try {
      const view = await waitFor('revision 1 applied', async () => {
        const h = await ctl.host(host.id);
        // The agent's report can carry the applied revision a moment before its ack is stored
        // (acks are written in batches): wait for the ack too.
        return h.appliedRevision === 1 && h.appliedRevision === h.desiredRevision && h.lastApply?.revision === 1 ? h : undefined;
      });
      expect(view.connected).toBe(true);
      expect(view.lastApply).toMatchObject({ ok: true, revision: 1, changed: ['control/databytes', 'control/locals'] });
      expect(qmail.read('control/locals')).toBe('example.com\nmail.example.org\n');
      expect(qmail.read('control/databytes')).toBe('20000000\n');
      expect(qmail.read('control/me')).toBe('mx.example.net\n');
      expect(Object.keys(qmail.snapshot()).filter((p) => p.startsWith('control/')).sort()).toEqual(['control/databytes', 'control/locals', 'control/me']);
    } finally {
      await agent.proc.stop();
    }

    // Offline: the change waits for the host.
    await waitFor('the host to show as disconnected', async () => !(await ctl.host(host.id)).connected);
    const patch = await ctl.api('PATCH', `/api/hosts/${host.id}/config`, { locals: ['example.com', 'new.example'], databytes: 0 });
    expect(patch.status).toBe(200);
    expect(patch.body.revision).toBe(2);
    expect((await ctl.host(host.id)).appliedRevision).toBe(1);
    expect(qmail.read('control/locals')).toBe('example.com\nmail.example.org\n');

    // Back online with the stored secret (no token): it converges on revision 2.
    const again = startAgent({ controllerUrl: ctl.url, qmailHome: qmail.home, stateDir: agent.stateDir });
    try {
      await waitFor('revision 2 applied', async () => (await ctl.host(host.id)).appliedRevision === 2);
      expect(qmail.read('control/locals')).toBe('example.com\nnew.example\n');
      expect(qmail.read('control/databytes')).toBe('0\n');
      // At once, not after the agent's next report: an ok ack stores the hashes of what it wrote.
      const plan = await ctl.api('GET', `/api/hosts/${host.id}/plan`);
      expect(plan.body.changes).toEqual([]);
    } finally {
      await again.proc.stop();
    }
  });

  it('refuses bad input with a message naming the field, and nothing changes on disk', async () => {
    const qmail = tree();
    const host = await ctl.createHost('mx2.example.net');
    expect((await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['good.example'] })).status).toBe(200);
    const agent = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: qmail.home });
    try {
      await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
      const before = qmail.snapshot();

      const newline = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['good.example', 'evil.example\nrcpthosts'] });
      expect(newline.status).toBe(400);
      expect(newline.body.fields).toEqual([{ path: 'locals[1]', message: expect.stringContaining('newline') }]);
      expect(newline.body.message).toContain('locals[1]');

      const badDomain = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['not a domain'] });
      expect(badDomain.status).toBe(400);
      expect(badDomain.body.fields[0].path).toBe('locals[0]');

      const unknownField = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { lokals: ['x.example'] });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.message).toContain('lokals');

      const openRelay = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { rcpthosts: null });
      expect(openRelay.status).toBe(400);
      expect(openRelay.body.fields[0].path).toBe('rcpthosts');

      const unknownHost = await ctl.api('PUT', '/api/hosts/00000000-0000-4000-8000-000000000000/config', { locals: ['a.example'] });
      expect(unknownHost.status).toBe(404);
      expect(unknownHost.body.message).toContain('no host');

      const oversize = await ctl.api('PUT', `/api/hosts/${host.id}/config`, JSON.stringify({ locals: Array.from({ length: 60_000 }, (_, i) => `d${i}.example.com`) }));
      expect(oversize.status).toBe(413);
      expect(oversize.body.message).toContain('1 MB');

      const noToken = await ctl.api('GET', '/api/hosts', undefined, null);
      expect(noToken.status).toBe(401);
      const agentSecret = JSON.parse(require('node:fs').readFileSync(`${agent.stateDir}/credentials.json`, 'utf8')).secret;
      expect((await ctl.api('GET', '/api/hosts', undefined, agentSecret)).status).toBe(401);

      const view = await ctl.host(host.id);
      expect(view.desiredRevision).toBe(1);
      expect(qmail.snapshot()).toEqual(before);
    } finally {
      await agent.proc.stop();
    }
  });

  it('refuses a used enrol token, and an oversize or malformed agent payload', async () => {
    const host = await ctl.createHost('mx3.example.net');
    const qmail = tree();
    const first = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: qmail.home });
    await first.proc.waitForLine(/enrolled/);
    const pristine = qmail.snapshot();
    const secret = JSON.parse(require('node:fs').readFileSync(`${first.stateDir}/credentials.json`, 'utf8')).secret;
    await first.proc.stop();

    // The enrol token works once: a second agent with it is refused and exits non-zero.
    const second = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: tree().home, name: 'second-agent' });
    const exit = await second.proc.exited;
    expect(exit.code).toBe(3);
    expect(second.proc.output.join('\n')).toContain('unknown or already used agent token');

    // An authenticated socket that sends a malformed hello, then an oversize one, is refused.
    const socket = io(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, transports: ['websocket'], auth: { token: secret }, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => (socket.on('connect', resolve), socket.on('connect_error', reject)));
      const refused = new Promise<{ message: string }>((resolve) => socket.on('refused', resolve));
      const disconnected = new Promise<void>((resolve) => socket.on('disconnect', () => resolve()));
      socket.emit('hello', { agentVersion: 'x', appliedRevision: -1, qmail: { installed: true, running: null }, files: { '../etc/passwd': 'nothex' } });
      const r = await refused;
      expect(r.message).toMatch(/invalid hello: .*appliedRevision/);
      expect(r.message).toContain('files');
      await disconnected;
    } finally {
      socket.close();
    }

    const big = io(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, transports: ['websocket'], auth: { token: secret }, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => (big.on('connect', resolve), big.on('connect_error', reject)));
      const refused = new Promise<{ message: string }>((resolve) => big.on('refused', resolve));
      big.emit('report', { agentVersion: 'x'.repeat(17 * 1024 * 1024) });
      expect((await refused).message).toMatch(/over the \d+-byte limit/);
    } finally {
      big.close();
    }

    // A secret that matches no host is refused at the handshake.
    const stranger = io(`${ctl.url}/agents`, { path: AGENT_SOCKET_PATH, transports: ['websocket'], auth: { token: 'qfs_' + 'x'.repeat(40) }, reconnection: false });
    const err = await new Promise<Error>((resolve) => stranger.on('connect_error', resolve));
    stranger.close();
    expect(err.message).toContain('unknown or already used agent token');
    expect(qmail.snapshot()).toEqual(pristine);
  });
});
