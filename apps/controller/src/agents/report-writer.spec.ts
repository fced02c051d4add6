import type { PrismaClient } from '../generated/prisma/client';
import { openTestDatabase, type TestDatabase } from '../testing/test-database';
import { AckWriter } from './ack-writer';
import { ReportWriter } from './report-writer';

// A real migrated PGlite database (needs NODE_OPTIONS=--experimental-vm-modules).
jest.setTimeout(120_000);

describe('ReportWriter with the AckWriter', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let acks: AckWriter;
  let reports: ReportWriter;

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = db.prisma;
    acks = new AckWriter(db.service);
    reports = new ReportWriter(db.service, acks);
  });
  afterAll(async () => {
    await db?.close();
  });

  const hello = (appliedRevision: number) => ({ agentVersion: 'test', appliedRevision, qmail: { installed: true, running: true, since: null }, files: { 'control/me': 'a'.repeat(64) } });
  const ack = (revision: number) => ({ revision, ok: true, changed: ['control/me'], skipped: [], ms: 3 });

  it('never stores a report’s applied revision before the ack of that revision is stored', async () => {
    const host = await prisma.host.create({ data: { name: 'order.example.net', desiredRevision: 1 } });
    // The agent acks, then reports at once: the ack waits in the writer for its batch.
    const acked = acks.record(host.id, ack(1));
    const seen: { appliedRevision: number; lastApply: unknown }[] = [];
    const watch = setInterval(() => void prisma.host.findUniqueOrThrow({ where: { id: host.id } }).then((h) => seen.push(h)), 2);
    const reported = reports.report(host.id, hello(1));
    // Written now rather than at the next tick of its timer: the ack is still pending.
    await reports.flush();
    const row = await reported;
    await acked;
    clearInterval(watch);
    expect(row).toMatchObject({ appliedRevision: 1 });
    expect(await prisma.host.findUniqueOrThrow({ where: { id: host.id } })).toMatchObject({ appliedRevision: 1, lastApply: { revision: 1, ok: true } });
    // Nobody reading the row meanwhile saw the new revision without its lastApply.
    expect(seen.filter((h) => h.appliedRevision === 1 && h.lastApply === null)).toEqual([]);
  });

  it('writes many hosts’ reports in one go, a newer report of a host replacing an older one', async () => {
    const hosts = await Promise.all(Array.from({ length: 50 }, (_, i) => prisma.host.create({ data: { name: `r${i}.example.net` } })));
    const rows = await Promise.all(hosts.flatMap((h) => [reports.report(h.id, hello(0)), reports.report(h.id, hello(7))]));
    expect(rows.every((r) => r?.appliedRevision === 7 && r.agentVersion === 'test' && r.lastSeen instanceof Date)).toBe(true);
    expect(reports.queued).toBe(0);
    reports.seen(hosts[0].id);
    expect(reports.queued).toBe(1);
    await reports.flush();
    expect(reports.queued).toBe(0);
  });

  it('gives back the row as its readers use it: no secrets, the hashes only under the enforce policy', async () => {
    const [plain, enforced] = await Promise.all(['plain.example.net', 'enforced.example.net'].map((name) => prisma.host.create({ data: { name, secretHash: `hash-of-${name}` } })));
    await prisma.host.update({ where: { id: enforced.id }, data: { driftPolicy: 'enforce' } });
    const [a, b] = await Promise.all([reports.report(plain.id, hello(0)), reports.report(enforced.id, hello(0))]);
    expect(a).toMatchObject({ id: plain.id, name: 'plain.example.net', driftPolicy: 'report', reportedFiles: null, qmail: { installed: true } });
    expect(b).toMatchObject({ driftPolicy: 'enforce', reportedFiles: { 'control/me': 'a'.repeat(64) } });
    expect(a).not.toHaveProperty('secretHash');
    expect(a).not.toHaveProperty('lastApply');
  });
});
