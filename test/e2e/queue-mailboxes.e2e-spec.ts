import { TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { SupervisedQmailSend } from '../support/supervise';
import { waitFor, type Proc } from '../support/processes';
import { ATTACHMENT } from '../support/messages';
import { addIncidentQueue, makeMailHomes, type ScenarioMessage } from '../support/mail-scenario';

/** The Webmin "Mail Queue" and "Read User Mail" pages through the API, a real agent and real daemontools. */
describe('queue and mailboxes through the controller', () => {
  let ctl: TestController;
  let agent: Proc;
  let qmailSend: SupervisedQmailSend;
  const qmail = new QmailTree();
  const homes = makeMailHomes();
  let hostId: string;
  let ids: Record<ScenarioMessage, number>;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    qmail.installStandIn('qmail-tcpok', `#!/bin/sh\necho qmail-tcpok >> ${qmail.home}/bin/calls.log\n`);
    ids = addIncidentQueue(qmail.home, new Date(Date.now() - 7200_000));

    qmailSend = new SupervisedQmailSend();
    await waitFor('qmail-send stand-in up', () => qmailSend.events().includes('start'));
    const host = await ctl.createHost('queue-browse.example.net');
    hostId = host.id;
    agent = await connectAgent(ctl, host, { qmailHome: qmail.home, args: ['--service', 'daemontools', '--service-dir', qmailSend.dir, '--passwd', homes.passwd, '--mailbox', 'maildir'] });
  });
  afterAll(async () => {
    await agent?.stop();
    await qmailSend?.stop();
    await ctl?.stop();
    qmail.remove();
    homes.remove();
  });

  it('lists the queue with every recipient, sorted and paged', async () => {
    const page = await ctl.api('GET', `/api/hosts/${hostId}/queue?sort=date&order=asc`);
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(4);
    expect(page.body.messages.map((m: { id: number }) => m.id)).toEqual([ids['report'], ids['spam1'], ids['spam2'], ids['lunch']]);
    const spam2 = page.body.messages[2];
    expect(spam2).toMatchObject({ sender: 'spammer@hacked.example', bouncing: true });
    expect(spam2.recipients).toEqual([
      { kind: 'local', address: 'joe@example.com', done: true },
      { kind: 'remote', address: 'v2@yahoo.com', done: false },
    ]);
    const second = await ctl.api('GET', `/api/hosts/${hostId}/queue?sort=size&order=desc&perPage=1&page=2`);
    expect(second.body.messages).toHaveLength(1);
  });

  it('shows a message parsed, and streams its attachment byte for byte', async () => {
    const read = await ctl.api('GET', `/api/hosts/${hostId}/queue/${ids['report']}`);
    expect(read.status).toBe(200);
    expect(read.body.parsed).toMatchObject({ subject: 'Quarterly report', truncated: false });
    expect(read.body.parsed.text).toContain('the report is attached');
    expect(read.body.parsed.attachments).toEqual([{ index: 0, filename: 'report.bin', contentType: 'application/octet-stream', size: ATTACHMENT.length }]);
    const res = await fetch(`${ctl.url}/api/hosts/${hostId}/queue/${ids['report']}/attachments/0`, { headers: { authorization: `Bearer ${(await import('../support/controller')).ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(ATTACHMENT);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/queue/999999999`)).status).toBe(404);
  });

  it('finds a spammer across the fleet, then deletes its messages with qmail-send stopped and started', async () => {
    const find = await ctl.api('POST', '/api/queue/find', { target: { hosts: [hostId] }, criteria: { sender: 'spammer@hacked' } });
    expect(find.status).toBe(200);
    expect(find.body.total).toBe(2);
    expect(find.body.hosts[0]).toMatchObject({ name: 'queue-browse.example.net', count: 2 });
    expect((await ctl.api('POST', '/api/queue/purge', { target: { hosts: [hostId] }, criteria: { sender: 'spammer@hacked' } })).status).toBe(400);

    const eventsBefore = qmailSend.events().length;
    const files = (id: number) => Object.keys(qmail.snapshot()).filter((p) => p.startsWith('queue/') && p.endsWith(`/${id}`));
    expect(files(ids['spam2']).length).toBeGreaterThanOrEqual(4); // mess, info, local, remote, bounce
    const purge = await ctl.api('POST', '/api/queue/purge', { target: { hosts: [hostId] }, criteria: { sender: 'spammer@hacked' }, confirm: true });
    expect(purge.status).toBe(200);
    expect(purge.body.deleted).toBe(2);
    expect(files(ids['spam1'])).toEqual([]);
    expect(files(ids['spam2'])).toEqual([]);
    expect(files(ids['report']).length).toBeGreaterThan(0);
    expect(qmailSend.events().slice(eventsBefore)).toEqual(['term', 'start']);
    expect(qmailSend.svstat()).toMatch(/: up \(pid \d+\)/);
    const audit = await ctl.api('GET', '/api/audit');
    expect(audit.body.some((e: { action: string }) => e.action === 'queue.purge')).toBe(true);
  });

  it('deletes one message through the host API, and flushes the queue', async () => {
    const del = await ctl.api('DELETE', `/api/hosts/${hostId}/queue/${ids['lunch']}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ deleted: [ids['lunch']], missing: [] });
    expect(del.body.qmailSend).toEqual(['stop', 'down', 'start', 'up']);
    const before = qmailSend.events().length;
    const flush = await ctl.api('POST', `/api/hosts/${hostId}/queue/flush`);
    expect(flush.status).toBe(200);
    expect(flush.body).toEqual({ ran: ['qmail-tcpok', 'alrm'], skipped: [] });
    await waitFor('the ALRM', () => qmailSend.events().slice(before).includes('alrm'));
    expect(qmail.calls()).toContain('qmail-tcpok');
    expect((await ctl.api('GET', `/api/hosts/${hostId}/queue`)).body.total).toBe(1);
  });

  it('lists mailboxes with size and count, searches, reads and deletes messages', async () => {
    const users = await ctl.api('GET', `/api/hosts/${hostId}/mailboxes`);
    expect(users.status).toBe(200);
    const joe = users.body.users.find((u: { user: string }) => u.user === 'joe');
    expect(joe).toMatchObject({ format: 'maildir', exists: true, count: 2 });
    expect(users.body.users.some((u: { user: string }) => u.user === 'root')).toBe(false);

    const list = await ctl.api('GET', `/api/hosts/${hostId}/mailboxes/joe/messages`);
    expect(list.body.total).toBe(2);
    expect(list.body.messages[0].subject).toBe('Weekly news'); // newest first
    const search = await ctl.api('POST', `/api/hosts/${hostId}/mailboxes/joe/search`, { search: { criteria: [{ field: 'subject', op: 'contains', value: 'budget' }], join: 'and' } });
    expect(search.status).toBe(200);
    expect(search.body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Budget meeting']);
    const bad = await ctl.api('POST', `/api/hosts/${hostId}/mailboxes/joe/search`, { search: { criteria: [{ field: 'colour', op: 'contains', value: 'x' }], join: 'and' } });
    expect(bad.status).toBe(400);

    const id = search.body.messages[0].id;
    const read = await ctl.api('GET', `/api/hosts/${hostId}/mailboxes/joe/messages/${encodeURIComponent(id)}`);
    expect(read.body.parsed.text).toContain('At ten.');
    const del = await ctl.api('DELETE', `/api/hosts/${hostId}/mailboxes/joe/messages/${encodeURIComponent(id)}`);
    expect(del.body).toEqual({ deleted: [id], missing: [] });
    expect((await ctl.api('GET', `/api/hosts/${hostId}/mailboxes/joe/messages`)).body.total).toBe(1);
    expect((await ctl.api('GET', `/api/hosts/${hostId}/mailboxes/nobody/messages`)).status).toBe(404);
  });
});
