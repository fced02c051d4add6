import type { PrismaClient } from '../generated/prisma/client';
import { openTestDatabase, type TestDatabase } from '../testing/test-database';
import { QueueStatsService } from './queue-stats.service';

// A real migrated PGlite database (needs NODE_OPTIONS=--experimental-vm-modules).
jest.setTimeout(120_000);

describe('QueueStatsService', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let stats: QueueStatsService;

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = db.prisma;
    stats = new QueueStatsService(db.service);
  });
  afterAll(async () => {
    await db?.close();
  });

  const report = (at: Date, messages: number) => ({ at: at.toISOString(), messages, unprocessed: 0, local: 0, remote: messages, bytes: 100 * messages, oldestAgeSec: 60, domains: [] });

  it('stores one sample per host per minute, the latest report of that minute', async () => {
    const t = new Date('2026-11-20T10:15:05Z');
    stats.record('h1', report(t, 3));
    // a write in between: the minute's later report replaces the stored sample
    await stats.flush();
    stats.record('h1', report(new Date('2026-11-20T10:15:40Z'), 5));
    stats.record('h1', report(new Date('2026-11-20T10:16:01Z'), 7));
    expect(stats.queued).toBe(2);
    await stats.flush();
    expect(stats.queued).toBe(0);
    const rows = await prisma.queueSample.findMany({ where: { hostId: 'h1' }, orderBy: { at: 'asc' } });
    expect(rows.map((r) => [r.at.toISOString(), r.messages])).toEqual([
      ['2026-11-20T10:15:00.000Z', 5],
      ['2026-11-20T10:16:00.000Z', 7],
    ]);
    expect(stats.latestFor('h1')?.messages).toBe(7);
  });

  it('sums hosts per bucket for the fleet series', async () => {
    stats.record('h2', report(new Date('2026-11-20T10:16:30Z'), 10));
    await stats.flush();
    const series = await stats.series(Date.parse('2026-11-20T10:00:00Z'), 60);
    expect(series.fleet.map((p) => [p.at, p.messages])).toEqual([
      ['2026-11-20T10:15:00.000Z', 5],
      ['2026-11-20T10:16:00.000Z', 17],
    ]);
  });

  it('answers one host only, or the busiest hosts only with the fleet total still over all', async () => {
    const since = Date.parse('2026-11-20T10:00:00Z');
    const one = await stats.series(since, 60, { hostId: 'h1' });
    expect(Object.keys(one.hosts)).toEqual(['h1']);
    expect(one.fleet.map((p) => p.messages)).toEqual([5, 7]);

    const top = await stats.series(since, 60, { top: 1 });
    expect(Object.keys(top.hosts)).toEqual(['h2']);
    expect(top.fleet.map((p) => p.messages)).toEqual([5, 17]);
  });

  it('serves samples not yet written and the latest figures in the series', async () => {
    const fresh = new QueueStatsService(db.service);
    fresh.record('h4', report(new Date('2026-11-20T11:00:10Z'), 2));
    fresh.record('h4', report(new Date('2026-11-20T11:01:10Z'), 4));
    const series = await fresh.series(Date.parse('2026-11-20T11:00:00Z'), 60);
    expect(series.hosts['h4'].map((p) => p.messages)).toEqual([2, 4]);
    expect(await prisma.queueSample.count({ where: { hostId: 'h4' } })).toBe(0);
    await fresh.flush();
    expect(await prisma.queueSample.count({ where: { hostId: 'h4' } })).toBe(2);
    await prisma.queueSample.deleteMany({ where: { hostId: 'h4' } });
  });

  it('holds a bounded number of samples: a host keeps its newest, the rest are dropped and counted', async () => {
    const small = new QueueStatsService(db.service).withCapacity(3);
    small.record('b1', report(new Date('2026-11-20T12:00:00Z'), 1));
    small.record('b1', report(new Date('2026-11-20T12:01:00Z'), 2));
    small.record('b2', report(new Date('2026-11-20T12:01:00Z'), 3));
    // full: b1's oldest minute gives way to its newest
    small.record('b1', report(new Date('2026-11-20T12:02:00Z'), 4));
    // full, and b3 has nothing pending to give way: its sample is dropped, its figures kept
    small.record('b3', report(new Date('2026-11-20T12:02:00Z'), 5));
    expect(small.queued).toBe(3);
    expect(small.dropped).toBe(2);
    expect(small.latestFor('b3')?.messages).toBe(5);
    await small.flush();
    const rows = await prisma.queueSample.findMany({ where: { hostId: { in: ['b1', 'b2', 'b3'] } }, orderBy: [{ hostId: 'asc' }, { at: 'asc' }] });
    expect(rows.map((r) => [r.hostId, r.at.toISOString().slice(11, 16), r.messages])).toEqual([
      ['b1', '12:01', 2],
      ['b1', '12:02', 4],
      ['b2', '12:01', 3],
    ]);
    await prisma.queueSample.deleteMany({ where: { hostId: { in: ['b1', 'b2', 'b3'] } } });
  });

  it('answers the last hour of a page of hosts in minute buckets, in one statement, the newest sample of each', async () => {
    const now = Date.parse('2026-11-21T09:00:30Z');
    const at = (iso: string, hostId: string, messages: number) =>
      prisma.queueSample.create({ data: { hostId, at: new Date(iso), messages, unprocessed: 0, local: 0, remote: messages, bytes: 0 } });
    await at('2026-11-21T07:59:00Z', 's1', 99); // before the hour: left out
    await at('2026-11-21T08:01:00Z', 's1', 1); // the first bucket
    await at('2026-11-21T08:30:00Z', 's1', 4);
    await at('2026-11-21T08:30:00Z', 's2', 8);
    await at('2026-11-21T08:30:00Z', 's3', 3); // not asked for
    const fresh = new QueueStatsService(db.service);
    fresh.record('s1', report(new Date('2026-11-21T09:00:05Z'), 6)); // pending, then latest: the current bucket

    const minute = await fresh.sparklines(['s1', 's2', 'nobody'], 60, now);
    expect(minute).toMatchObject({ step: 60, from: '2026-11-21T08:01:00.000Z', points: 60 });
    expect(Object.keys(minute.hosts).sort()).toEqual(['s1', 's2']);
    const s1 = minute.hosts['s1'];
    expect(s1).toHaveLength(60);
    expect(s1.flatMap((v, i) => (v === null ? [] : [[i, v]]))).toEqual([
      [0, 1],
      [29, 4],
      [59, 6],
    ]);
    expect(minute.hosts['s2'].flatMap((v, i) => (v === null ? [] : [[i, v]]))).toEqual([[29, 8]]);

    // Five-minute buckets: a bucket holds its newest sample (08:30's 4 over nothing else; 08:01 alone).
    await at('2026-11-21T08:33:00Z', 's1', 5);
    const five = await fresh.sparklines(['s1'], 300, now);
    expect(five).toMatchObject({ step: 300, from: '2026-11-21T08:05:00.000Z', points: 12 });
    expect(five.hosts['s1']).toEqual([null, null, null, null, null, 5, null, null, null, null, null, 6]);
    // Written now, not by the writer's timer a second later, after the database has closed.
    await fresh.flush();
    await prisma.queueSample.deleteMany({ where: { hostId: { in: ['s1', 's2', 's3'] } } });
  });

  it('rolls older data up: hourly samples past two days, nothing past ninety', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const old = (iso: string, n: number) => prisma.queueSample.create({ data: { hostId: 'h3', at: new Date(iso), messages: n, unprocessed: 0, local: 0, remote: 0, bytes: 0 } });
    await old('2026-11-22T09:00:00Z', 1); // 3 days old, top of the hour: kept
    await old('2026-11-22T09:01:00Z', 2); // 3 days old: thinned
    await old('2026-11-25T11:30:00Z', 3); // recent: kept
    await old('2026-08-01T09:00:00Z', 4); // past 90 days: dropped
    const r = await stats.rollUp(now);
    // thinned: h3's 09:01 and the earlier tests' h1 10:15, h1 10:16 and h2 10:16 samples
    expect(r).toEqual({ thinned: 4, dropped: 1 });
    const left = await prisma.queueSample.findMany({ where: { hostId: 'h3' }, orderBy: { at: 'asc' } });
    expect(left.map((x) => x.messages)).toEqual([1, 3]);
  });
});
