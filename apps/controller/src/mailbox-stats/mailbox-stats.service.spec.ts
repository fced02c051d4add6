import type { MailboxFigures, MailboxStats } from '@qfleet/protocol';
import type { PrismaClient } from '../generated/prisma/client';
import { openTestDatabase, type TestDatabase } from '../testing/test-database';
import { MailboxStatsService } from './mailbox-stats.service';

// A real migrated PGlite database (needs NODE_OPTIONS=--experimental-vm-modules).
jest.setTimeout(120_000);

const box = (user: string, bytes: number, quota?: [number, number]): MailboxFigures => ({
  user,
  format: 'maildir',
  messages: 1,
  bytes,
  unread: 0,
  newestAt: null,
  oldestAt: null,
  quotaBytes: quota ? quota[0] : null,
  quotaMessages: null,
  quotaUsedBytes: quota ? quota[1] : null,
  quotaUsedMessages: null,
});
const report = (at: string, messages: number, bytes: number, largest: MailboxFigures[] = []): MailboxStats => ({
  at,
  scanMs: 10,
  mailboxes: largest.length,
  messages,
  bytes,
  unread: 0,
  withQuota: 0,
  skipped: 0,
  largest,
  fullest: largest.filter((m) => m.quotaBytes !== null),
});

describe('MailboxStatsService', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let stats: MailboxStatsService;

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = db.prisma;
    stats = new MailboxStatsService(db.service);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('writes samples in one batch, one per host and minute, the latest of the minute winning', async () => {
    stats.record('h1', report('2026-11-20T10:00:05Z', 10, 1000));
    stats.record('h1', report('2026-11-20T10:00:40Z', 11, 1100));
    stats.record('h1', report('2026-11-20T10:05:00Z', 12, 1200));
    stats.record('h2', report('2026-11-20T10:02:00Z', 100, 50_000));
    expect(await prisma.mailboxSample.count()).toBe(0); // not yet: they wait for the batch
    await stats.flush();
    const rows = await prisma.mailboxSample.findMany({ orderBy: [{ hostId: 'asc' }, { at: 'asc' }] });
    expect(rows.map((r) => [r.hostId, r.at.toISOString(), r.messages])).toEqual([
      ['h1', '2026-11-20T10:00:00.000Z', 11],
      ['h1', '2026-11-20T10:05:00.000Z', 12],
      ['h2', '2026-11-20T10:02:00.000Z', 100],
    ]);
  });

  it('holds a bounded number of samples: a host keeps its newest, the rest are dropped and counted', async () => {
    const small = new MailboxStatsService(db.service).withCapacity(2);
    small.record('m1', report('2026-11-21T08:00:00Z', 1, 10));
    small.record('m1', report('2026-11-21T08:05:00Z', 2, 20));
    // full: m1's oldest minute gives way to its newest
    small.record('m1', report('2026-11-21T08:10:00Z', 3, 30));
    // full, and m2 has nothing pending to give way: its sample is dropped, its figures kept
    small.record('m2', report('2026-11-21T08:10:00Z', 4, 40));
    expect(small.queued).toBe(2);
    expect(small.dropped).toBe(2);
    expect(small.latestFor('m2')?.messages).toBe(4);
    await small.flush();
    expect(small.queued).toBe(0);
    const rows = await prisma.mailboxSample.findMany({ where: { hostId: { in: ['m1', 'm2'] } }, orderBy: { at: 'asc' } });
    expect(rows.map((r) => [r.hostId, r.at.toISOString().slice(11, 16), r.messages])).toEqual([
      ['m1', '08:05', 2],
      ['m1', '08:10', 3],
    ]);
    await prisma.mailboxSample.deleteMany({ where: { hostId: { in: ['m1', 'm2'] } } });
  });

  it('sums hosts at each point with their latest sample before it', async () => {
    const { points, step } = await stats.series(Date.parse('2026-11-20T10:00:00Z'), 120, undefined, Date.parse('2026-11-20T10:06:00Z'));
    expect(step).toBe(120);
    expect(points.map((p) => [p.at.slice(11, 16), p.messages])).toEqual([
      ['10:00', 11],
      ['10:02', 111],
      ['10:04', 111],
      ['10:06', 112],
    ]);
    const one = await stats.series(Date.parse('2026-11-20T10:00:00Z'), 120, 'h2', Date.parse('2026-11-20T10:06:00Z'));
    expect(one.points.map((p) => p.messages)).toEqual([100, 100, 100]);
  });

  it('orders hosts by bytes, merges the largest mailboxes, lists those over a quota share', () => {
    stats.record('h1', report('2026-11-20T10:10:00Z', 3, 9000, [box('a', 5000, [5500, 5000]), box('b', 4000)]));
    stats.record('h2', report('2026-11-20T10:10:00Z', 3, 8000, [box('c', 7000, [10_000, 9000]), box('d', 1000, [1000, 1200])]));
    const names = new Map([
      ['h1', 'one'],
      ['h2', 'two'],
    ]);
    expect(stats.hosts(names).map((h) => h.host)).toEqual(['one', 'two']);
    expect(stats.largest(names, 3).map((m) => `${m.host}:${m.user}`)).toEqual(['two:c', 'one:a', 'one:b']);
    expect(stats.overQuota(names, 0.9, 10).map((m) => [m.user, m.quotaShare])).toEqual([
      ['d', 1.2],
      ['a', 5000 / 5500],
      ['c', 0.9],
    ]);
    expect(stats.overQuota(names, 1, 10).map((m) => m.user)).toEqual(['d']);
    // a host deleted since is left out
    expect(stats.hosts(new Map([['h2', 'two']])).map((h) => h.host)).toEqual(['two']);
  });

  it('thins samples past two days to the first of each hour, drops them past ninety days', async () => {
    await stats.flush();
    const now = new Date('2026-11-25T12:00:00Z');
    const add = (at: string, messages: number) => prisma.mailboxSample.create({ data: { hostId: 'h3', at: new Date(at), mailboxes: 1, messages, bytes: 0, unread: 0, withQuota: 0, skipped: 0, scanMs: 1 } });
    await add('2026-11-22T09:03:00Z', 1); // first of its hour: kept
    await add('2026-11-22T09:08:00Z', 2); // thinned
    await add('2026-11-25T11:30:00Z', 3); // recent: kept
    await add('2026-08-01T09:00:00Z', 4); // past 90 days: dropped
    await stats.rollUp(now);
    const left = await prisma.mailboxSample.findMany({ where: { hostId: 'h3' }, orderBy: { at: 'asc' } });
    expect(left.map((x) => x.messages)).toEqual([1, 3]);
  });
});
