import path from 'node:path';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { QueueFixture } from '../support/queue-fixture';
import { waitFor, type Proc } from '../support/processes';

/** Queue statistics: agent → controller memory, stored samples, /api/stats/queues and /metrics. */
describe('queue statistics', () => {
  let ctl: TestController;
  let agent: Proc;
  const qmail = new QmailTree();

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
  });
  afterAll(async () => {
    await agent?.stop();
    await ctl?.stop();
    qmail.remove();
  });

  it('reports what qmail-qstat and qmail-qread would say, and follows the queue as it grows', async () => {
    const queue = new QueueFixture(path.join(qmail.home, 'queue'));
    const start = Date.now();
    const hourAgo = new Date(start - 3600_000);
    queue.add({ sender: 'a@example.com', recipients: [{ kind: 'remote', address: 'x@gmail.com' }, { kind: 'remote', address: 'y@gmail.com' }], queuedAt: hourAgo });
    queue.add({ sender: 'b@example.com', recipients: [{ kind: 'remote', address: 'z@gmail.com' }, { kind: 'local', address: 'joe@example.com', done: true }] });
    queue.add({ sender: '', recipients: [{ kind: 'local', address: 'postmaster@example.com' }], bouncing: true });
    queue.addTodo({ sender: 'c@example.com', recipients: ['w@yahoo.com'] });

    const host = await ctl.createHost('queue.example.net');
    agent = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: qmail.home, args: ['--queue-interval', '1'] }).proc;
    const view = await waitFor('queue figures on the host', async () => {
      const h = await ctl.host(host.id);
      return h.queue ? h : undefined;
    });
    expect(view.queue).toMatchObject({ messages: 4, unprocessed: 1, local: 1, remote: 2 });
    expect(view.queue.oldestAgeSec).toBeGreaterThanOrEqual(3599);
    expect(view.queue.bytes).toBeGreaterThan(0);

    const metrics = await fetch(`${ctl.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.text());
    expect(metrics).toContain('qfleet_queue_messages{host="queue.example.net"} 4');
    expect(metrics).toContain('qfleet_queue_unprocessed{host="queue.example.net"} 1');
    expect(metrics).toContain('qfleet_host_connected{host="queue.example.net"} 1');

    queue.add({ sender: 'd@example.com', recipients: [{ kind: 'remote', address: 'v@gmail.com' }] });
    await waitFor('the new message counted', async () => (await ctl.host(host.id)).queue?.messages === 5);

    const domains = await ctl.api('GET', '/api/stats/domains');
    expect(domains.body[0]).toMatchObject({ domain: 'gmail.com', hosts: ['queue.example.net'], messages: 3, recipients: 4 });
    // The remote mtimes are the queue times (qmail-send has not exited since): the next retry is
    // qmail-send's schedule, at the earliest 400 s after the newest birth (QMAIL.md §4).
    expect(Date.parse(domains.body[0].nextRetryAt)).toBeGreaterThanOrEqual(Math.floor(start / 1000) * 1000 + 400_000);

    const series = await ctl.api('GET', '/api/stats/queues?since=3600&step=60');
    expect(series.status).toBe(200);
    expect(series.body.fleet.at(-1)).toMatchObject({ messages: 5, remote: 3 });
    expect(series.body.hosts[host.id].at(-1)).toMatchObject({ messages: 5 });
  });
});
