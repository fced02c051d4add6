import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { TestFleet } from '../support/fleet';
import { waitFor } from '../support/processes';
import { QueueFixture } from '../support/queue-fixture';
import { makeMailHomes } from '../support/mail-scenario';
import { SupervisedQmailSend } from '../support/supervise';

const REDIS = process.env['QFLEET_TEST_REDIS_URL'];
const PG = process.env['QFLEET_TEST_PG_URL'];

/**
 * Two controller replicas on one PostgreSQL, sharing socket.io events through Redis (DESIGN.md
 * "Data and scale"): a change made on one replica reaches an agent connected to the other, a
 * rollout run by one waits for agents on both, and its progress reaches a dashboard on either;
 * the queue, mailboxes, actions and file reads of an agent answer through either replica.
 * Runs when QFLEET_TEST_PG_URL and QFLEET_TEST_REDIS_URL are set (CI sets both).
 */
(PG && REDIS ? describe : describe.skip)('two controller replicas on PostgreSQL and Redis', () => {
  let a: TestController;
  let b: TestController;
  let onA: TestFleet;
  let onB: TestFleet;
  let ui: Socket;
  let qmailSend: SupervisedQmailSend;
  let queuedId: number;
  const homes = makeMailHomes();
  // Over two 256 KB chunks: the raw download takes three round trips to the other replica.
  const bigBody = `Subject: big report\n\n${'0123456789abcdef'.repeat(40_000)}\n`;
  const progress: { id: string; status: string }[] = [];

  beforeAll(async () => {
    // A fleet's own name on the shared Redis, so nothing else on it hears these replicas.
    const shared = { REDIS_URL: REDIS, QFLEET_REDIS_KEY: `qfleet-test-${randomBytes(4).toString('hex')}` };
    a = await TestController.start('postgres', shared);
    b = await TestController.replicaOf(a);
    onA = new TestFleet(a);
    onB = new TestFleet(b);
    qmailSend = new SupervisedQmailSend();
    await waitFor('qmail-send stand-in up', () => qmailSend.events().includes('start'));
    const a1 = await onA.add('a1.example.net', ['web'], {
      agentArgs: ['--queue-interval', '1', '--service', 'daemontools', '--service-dir', qmailSend.dir, '--passwd', homes.passwd, '--mailbox', 'maildir'],
    });
    a1.qmail.installStandIn('qmail-tcpok', `#!/bin/sh\necho qmail-tcpok >> ${a1.qmail.home}/bin/calls.log\n`);
    queuedId = new QueueFixture(path.join(a1.qmail.home, 'queue')).add({ sender: 's@corp.example', recipients: [{ kind: 'remote', address: 'r@far.example' }], body: bigBody });
    await onB.add('b1.example.net', ['web']);
    await waitFor('both agents connected', async () => ((await a.api('GET', '/api/hosts')).body as { lastSeen: string | null }[]).every((h) => h.lastSeen));
    ui = io(`${a.url}/ui`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'] });
    ui.on('rollout.progress', (s: { id: string; status: string }) => progress.push(s));
    await new Promise<void>((resolve, reject) => (ui.once('connect', () => resolve()), ui.once('connect_error', reject)));
  }, 120_000);

  afterAll(async () => {
    ui?.close();
    await onA?.cleanUp();
    await onB?.cleanUp();
    await qmailSend?.stop();
    await b?.stop();
    await a?.stop();
    homes.remove();
  });

  it('either replica shows every host connected, with the queue figures its agent sent to the other', async () => {
    for (const ctl of [a, b]) {
      const hosts = await waitFor('queue figures of a1', async () => {
        const list = (await ctl.api('GET', '/api/hosts')).body as { name: string; connected: boolean; queue: { messages: number } | null }[];
        return list.find((h) => h.name === 'a1.example.net')?.queue ? list : undefined;
      });
      expect(hosts.map((h) => [h.name, h.connected])).toEqual([
        ['a1.example.net', true],
        ['b1.example.net', true],
      ]);
      expect(hosts[0].queue?.messages).toBe(1);
    }
  });

  it('a change stored on one replica reaches an agent connected to the other', async () => {
    const host = onA.hosts[0];
    const put = await b.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['a1.example'], rcpthosts: ['a1.example'] });
    expect(put.status).toBe(200);
    await waitFor('a1 applied through replica a', async () => (await b.host(host.id)).appliedRevision === put.body.revision);
    expect(host.qmail.read('control/locals')).toBe('a1.example\n');
    expect(b.proc.output.join('\n')).not.toMatch(/a1\.example\.net connected/);
  });

  it('a rollout run by one replica waits for agents on both, and its progress reaches a dashboard on the other', async () => {
    expect((await b.api('PUT', '/api/groups/web/config', { locals: ['web.example'], rcpthosts: ['web.example'] })).status).toBe(200);
    await waitFor('both applied the group', async () => ((await b.api('GET', '/api/hosts')).body as { appliedRevision: number; desiredRevision: number }[]).every((h) => h.appliedRevision === h.desiredRevision));
    const created = await b.api('POST', '/api/rollouts', { target: { groups: ['web'] }, change: { add: { locals: ['shared.example'] } }, batchSize: 1 });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const done = await waitFor('the rollout ends', async () => ((r) => (r.status === 'running' ? undefined : r))((await a.api('GET', `/api/rollouts/${id}`)).body));
    expect(done.status).toBe('completed');
    // Not "offline": the replica running it knew the other's agent was connected and waited for it.
    expect(done.hosts.map((h: { name: string; state: string }) => [h.name, h.state])).toEqual([
      ['a1.example.net', 'applied'],
      ['b1.example.net', 'applied'],
    ]);
    expect(onA.hosts[0].qmail.read('control/locals')).toBe('web.example\na1.example\nshared.example\n');
    expect(onB.hosts[0].qmail.read('control/locals')).toBe('web.example\nshared.example\n');
    await waitFor('progress reached the dashboard on replica a', () => progress.some((p) => p.id === id && p.status === 'completed'));
  });

  describe('through the replica that does not hold the agent', () => {
    const hostId = () => onA.hosts[0].id;

    it('lists the queue, reads a message, and downloads it in chunks byte for byte', async () => {
      const list = await b.api('GET', `/api/hosts/${hostId()}/queue`);
      expect(list.status).toBe(200);
      expect(list.body.messages.map((m: { id: number; sender: string }) => [m.id, m.sender])).toEqual([[queuedId, 's@corp.example']]);
      const read = await b.api('GET', `/api/hosts/${hostId()}/queue/${queuedId}`);
      expect(read.status).toBe(200);
      expect(read.body.parsed).toMatchObject({ subject: 'big report', truncated: true });
      const raw = await fetch(`${b.url}/api/hosts/${hostId()}/queue/${queuedId}/raw`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(raw.status).toBe(200);
      const mess = Object.entries(onA.hosts[0].qmail.snapshot()).find(([p]) => p.startsWith('queue/mess/') && p.endsWith(`/${queuedId}`));
      expect(Buffer.from(await raw.arrayBuffer()).toString()).toBe(mess?.[1]);
      // The agent's own error still maps to its HTTP status across replicas.
      expect((await b.api('GET', `/api/hosts/${hostId()}/queue/999999999`)).status).toBe(404);
    });

    it('finds queued messages across the fleet with the agent counted as connected', async () => {
      const find = await b.api('POST', '/api/queue/find', { target: { hosts: [hostId()] }, criteria: { sender: 's@corp' } });
      expect(find.status).toBe(200);
      expect(find.body.hosts).toEqual([expect.objectContaining({ name: 'a1.example.net', connected: true, count: 1, ids: [queuedId] })]);
    });

    it('reads a mailbox message', async () => {
      const list = await b.api('GET', `/api/hosts/${hostId()}/mailboxes/joe/messages`);
      expect(list.status).toBe(200);
      expect(list.body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Weekly news', 'Budget meeting']);
      const read = await b.api('GET', `/api/hosts/${hostId()}/mailboxes/joe/messages/${encodeURIComponent(list.body.messages[1].id)}`);
      expect(read.status).toBe(200);
      expect(read.body.parsed.text).toContain('At ten.');
    });

    it('flushes the queue under daemontools, and runs a fleet action', async () => {
      const before = qmailSend.events().length;
      const flush = await b.api('POST', `/api/hosts/${hostId()}/queue/flush`);
      expect(flush.status).toBe(200);
      expect(flush.body).toEqual({ ran: ['qmail-tcpok', 'alrm'], skipped: [] });
      await waitFor('the ALRM', () => qmailSend.events().slice(before).includes('alrm'));
      expect(onA.hosts[0].qmail.calls()).toContain('qmail-tcpok');
      const beforeReload = qmailSend.events().length;
      const fleet = await b.api('POST', '/api/actions', { target: { hosts: [hostId()] }, action: 'reload' });
      expect(fleet.status).toBe(200);
      expect(fleet.body).toMatchObject({ ok: 1, failed: 0, hosts: [{ name: 'a1.example.net', ok: true }] });
      await waitFor('the HUP', () => qmailSend.events().slice(beforeReload).includes('hup'));
    });

    it('reads the host\'s files for an import dry run', async () => {
      const dry = await b.api('POST', `/api/hosts/${hostId()}/import`, { dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.body.revision).toBeNull();
      expect(dry.body.document.locals).toEqual((onA.hosts[0].qmail.read('control/locals') ?? '').trim().split('\n'));
    });
  });

  it("after the replicas' presence heartbeat, pages and the summary on either show the other's agents, and one that goes as offline", async () => {
    // Last: the host it adds stays (offline) in the fleet. Past PRESENCE_BEAT_MS (5 s) + 1 s after the replicas started: connected comes from what
    // the other replica told (ReplicaPresence), no longer from asking it.
    await new Promise((r) => setTimeout(r, 6_500));
    const page = async (ctl: TestController) => ((await ctl.api('GET', '/api/hosts?page=1&pageSize=100')).body as { name: string; connected: boolean }[]).map((h) => [h.name, h.connected]);
    for (const ctl of [a, b]) {
      expect(await page(ctl)).toEqual([
        ['a1.example.net', true],
        ['b1.example.net', true],
      ]);
      expect((await ctl.api('GET', '/api/fleet/summary')).body).toMatchObject({ hosts: 2, connected: 2, offline: 0 });
    }
    // An agent that connects to A after that, and goes: B hears both.
    const c1 = await onA.add('c1.example.net', []);
    await waitFor('c1 connected, as replica b sees it', async () => (await page(b)).some(([n, c]) => n === 'c1.example.net' && c));
    await c1.stop();
    await waitFor('c1 offline, as replica b sees it', async () => (await page(b)).some(([n, c]) => n === 'c1.example.net' && !c));
    expect((await b.api('GET', '/api/fleet/summary')).body).toMatchObject({ hosts: 3, connected: 2, offline: 1 });
  });
});
