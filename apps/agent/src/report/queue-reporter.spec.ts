import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// The one queue writer, shared with the e2e tests and bench/: a test helper, not a project import.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { QueueFixture, type FixtureMessage } from '../../../../test/support/queue-fixture';
import { queueHealthByDomain, queueSummary, scanQueue, tallyQueue } from '@qfleet/qmail';
import { collectQueueStats } from './queue-reporter';

// The agent's statistics (tallyQueue, counts only) must say what the full scan (the queue
// view's scanQueue) says: the figures of queueSummary and queueHealthByDomain, on real queues.

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-tally-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = new Date('2024-03-14T12:00:00Z');
const minutesAgo = (n: number) => new Date(NOW.getTime() - n * 60_000);

async function expectSameFigures(queueDir: string, split: number) {
  const scan = await scanQueue(queueDir, { split });
  const full = { summary: queueSummary(scan, NOW), domains: queueHealthByDomain(scan, NOW) };
  expect(await tallyQueue(queueDir, NOW, { split })).toEqual(full);
  return full;
}

describe('tallyQueue', () => {
  it('gives the figures of the full scan for an empty queue', async () => {
    new QueueFixture(path.join(dir, 'queue'));
    const { summary, domains } = await expectSameFigures(path.join(dir, 'queue'), 23);
    expect(summary).toEqual({ messages: 0, unprocessed: 0, local: 0, remote: 0, bytes: 0, oldestAgeSec: null });
    expect(domains).toEqual([]);
  });

  it('gives the figures of the full scan for local, remote, done, bouncing, todo and latin1 recipients', async () => {
    const q = new QueueFixture(path.join(dir, 'queue'), { split: 7 });
    q.add({ sender: 'a@x', recipients: [{ kind: 'local', address: 'joe@here' }, { kind: 'remote', address: 'b@Slow.Example' }, { kind: 'remote', address: 'c@slow.example' }], queuedAt: minutesAgo(90), nextRetry: { remote: minutesAgo(10) } });
    q.add({ sender: '', recipients: [{ kind: 'remote', address: 'd@slow.example' }, { kind: 'remote', address: 'e@fast.example', done: true }], queuedAt: minutesAgo(30), bouncing: true });
    q.add({ sender: 'f@x', recipients: [{ kind: 'local', address: 'f@here', done: true }, { kind: 'remote', address: 'g@other.example' }], queuedAt: minutesAgo(5), body: 'Subject: x\n\n' + 'y'.repeat(5000) });
    q.add({ sender: 'h@x', recipients: [{ kind: 'local', address: 'h@here' }], queuedAt: minutesAgo(1) });
    q.add({ sender: 'i@x', recipients: [{ kind: 'remote', address: Buffer.from([0x75, 0x40, 0x44, 0xe9, 0x2e, 0x65, 0x78]) }, { kind: 'remote', address: 'no-at-sign' }], queuedAt: minutesAgo(2000) });
    q.add({ sender: 'j@x', recipients: [{ kind: 'remote', address: 'k@other.example', done: true }] });
    q.addTodo({ sender: 'l@x', recipients: ['m@todo.example'] });
    const { summary, domains } = await expectSameFigures(q.dir, 7);
    expect(summary).toMatchObject({ messages: 7, unprocessed: 1, local: 2, remote: 4, oldestAgeSec: 2000 * 60 });
    expect(domains[0]).toMatchObject({ domain: 'slow.example', messages: 2, recipients: 3 });
    // Bytes are latin1 characters, the domain ASCII-lowercased only; no `@` is the domain ''.
    expect(domains.map((d) => d.domain).sort()).toEqual(['', 'd\u00e9.ex', 'other.example', 'slow.example']);
  });

  it('reads files bigger than its reused buffer, half-written records and an info without its NUL as the full scan does', async () => {
    const q = new QueueFixture(path.join(dir, 'queue'), { split: 3 });
    const many = Array.from({ length: 400 }, (_, i) => ({ kind: 'remote' as const, address: `user${i}@Many${i % 7}.example`, done: i % 5 === 0 }));
    q.add({ sender: 'a@x', recipients: many, queuedAt: minutesAgo(7), nextRetry: { remote: minutesAgo(1) } });
    const partial = q.add({ sender: 'a@x', recipients: [{ kind: 'remote', address: 'b@whole.example' }], queuedAt: minutesAgo(8) });
    fs.appendFileSync(q.remotePath(partial), 'Tc@half-written.example');
    const noNul = q.add({ sender: 'a@x', recipients: [{ kind: 'local', address: 'c@here' }], queuedAt: minutesAgo(9) });
    fs.writeFileSync(q.infoPath(noNul), 'Fa@x');
    const { summary, domains } = await expectSameFigures(q.dir, 3);
    expect(summary).toMatchObject({ messages: 3, local: 0, remote: 2 });
    expect(domains.map((d) => d.domain)).not.toContain('half-written.example');
    expect(domains.find((d) => d.domain === 'many0.example')?.recipients).toBeGreaterThan(40);
  });

  it('leaves out what the full scan leaves out: a message whose mess or info is gone', async () => {
    const q = new QueueFixture(path.join(dir, 'queue'), { split: 5 });
    const kept = q.add({ sender: 'a@x', recipients: [{ kind: 'remote', address: 'b@kept.example' }], queuedAt: minutesAgo(3) });
    const noMess = q.add({ sender: 'a@x', recipients: [{ kind: 'remote', address: 'b@nomess.example' }], queuedAt: minutesAgo(4) });
    const noInfo = q.add({ sender: 'a@x', recipients: [{ kind: 'remote', address: 'b@noinfo.example' }], queuedAt: minutesAgo(5) });
    fs.unlinkSync(q.messPath(noMess));
    fs.unlinkSync(q.infoPath(noInfo));
    const { domains } = await expectSameFigures(q.dir, 5);
    expect(domains.map((d) => d.domain)).toEqual(['kept.example']);
    expect(kept).toBeGreaterThan(0);
  });

  it('gives the figures of the full scan for a big queue with many domains, big-todo and retries', async () => {
    const q = new QueueFixture(path.join(dir, 'queue'), { split: 23, bigTodo: true });
    for (let i = 0; i < 600; i++) {
      const recipients: FixtureMessage['recipients'] = [];
      for (let r = 0; r < 1 + (i % 4); r++) recipients.push({ kind: (i + r) % 5 ? 'remote' : 'local', address: `u${r}@D${(i * 7 + r) % 31}.Example`, done: (i + r) % 9 === 0 });
      q.add({ sender: `s${i % 13}@x`, recipients, queuedAt: minutesAgo(i * 3), nextRetry: i % 3 ? { remote: minutesAgo(i) } : undefined, bouncing: i % 50 === 0, body: 'b'.repeat(i) });
    }
    for (let i = 0; i < 5; i++) q.addTodo({ sender: 't@x', recipients: [`t${i}@todo.example`] });
    const { summary, domains } = await expectSameFigures(q.dir, 23);
    expect(summary.messages).toBe(605);
    expect(summary.unprocessed).toBe(5);
    expect(domains.length).toBe(31);
    expect(domains.some((d) => d.nextRetryAt)).toBe(true);
  });

  it('is what the agent sends: collectQueueStats says what the full scan says', async () => {
    const home = path.join(dir, 'qmail');
    const q = new QueueFixture(path.join(home, 'queue'));
    for (let i = 0; i < 60; i++) q.add({ sender: 's@x', recipients: [{ kind: i % 3 ? 'remote' : 'local', address: `u${i}@d${i % 25}.example` }], queuedAt: minutesAgo(i), nextRetry: { remote: minutesAgo(i / 2) } });
    const scan = await scanQueue(q.dir);
    const stats = await collectQueueStats(home, NOW);
    expect(stats).toEqual({
      at: NOW.toISOString(),
      ...queueSummary(scan, NOW),
      domains: queueHealthByDomain(scan, NOW)
        .slice(0, 20)
        .map((d) => ({ domain: d.domain, messages: d.messages, recipients: d.recipients, nextRetryAt: d.nextRetryAt?.toISOString() ?? null, oldestQueuedAt: d.oldestQueuedAt.toISOString() })),
    });
    expect(stats?.domains).toHaveLength(20);
  });
});
