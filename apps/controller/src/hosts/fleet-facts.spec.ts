import type { PrismaClient } from '../generated/prisma/client';
import { openTestDatabase, type TestDatabase } from '../testing/test-database';
import { AckWriter } from '../agents/ack-writer';
import { ReportWriter } from '../agents/report-writer';
import { FleetFacts } from './fleet-facts';

// A real migrated PGlite database (needs NODE_OPTIONS=--experimental-vm-modules).
jest.setTimeout(120_000);

const hello = (appliedRevision: number) => ({ agentVersion: 'test', appliedRevision, qmail: { installed: true, running: false, since: null }, files: {} });

describe('FleetFacts', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = db.prisma;
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers from memory once read, the report writer setting each host in place from the row it wrote', async () => {
    const facts = new FleetFacts(db.service);
    const reports = new ReportWriter(db.service, new AckWriter(db.service), facts);
    const host = await prisma.host.create({ data: { name: 'Mem.example.net', groups: ['eu'], desiredRevision: 2 } });
    const first = await facts.all();
    const entry = first.find((h) => h.id === host.id)!;
    expect(entry).toMatchObject({ name: 'Mem.example.net', lower: 'mem.example.net', groups: ['eu'], desiredRevision: 2, appliedRevision: 0, lastSeen: null, qmail: null });

    const reported = reports.report(host.id, hello(2));
    await reports.flush();
    await reported;
    // The same object, set in place: no read of every host for it.
    expect(entry).toMatchObject({ appliedRevision: 2, qmail: { installed: true, running: false } });
    expect(entry.lastSeen).toBeInstanceOf(Date);
    expect(await facts.all()).toBe(first);
  });

  it('a write through the API makes the next request wait for a fresh read; a deleted host goes with it', async () => {
    const facts = new FleetFacts(db.service);
    await facts.all();
    const added = await prisma.host.create({ data: { name: 'added.example.net' } });
    facts.forget();
    expect((await facts.all()).some((h) => h.id === added.id)).toBe(true);
    await prisma.host.delete({ where: { id: added.id } });
    facts.forget();
    expect((await facts.all()).some((h) => h.id === added.id)).toBe(false);
    expect(facts.size).toBe(await prisma.host.count());
  });

  it('a read does not undo what the report writer set after it began', async () => {
    const facts = new FleetFacts(db.service);
    const host = await prisma.host.create({ data: { name: 'race.example.net' } });
    await facts.all();
    facts.forget();
    // The read begins; the ingest path sets the host before it is installed.
    const reading = facts.all();
    const lastSeen = new Date(Date.now() + 60_000);
    facts.reported({ id: host.id, name: 'race.example.net', groups: [], desiredRevision: 0, appliedRevision: 5, failedRevision: null, lastSeen, qmail: null, drifted: 1, heldRevision: null }, Date.now() + 1);
    const after = (await reading).find((h) => h.id === host.id)!;
    expect(after).toMatchObject({ appliedRevision: 5, drift: 1, lastSeen });
  });

  it('a write that does not pass here shows through a read of the rows changed since, without waiting for it', async () => {
    const facts = new FleetFacts(db.service);
    const host = await prisma.host.create({ data: { name: 'rollout.example.net' } });
    const entry = (await facts.all()).find((h) => h.id === host.id)!;
    // A rollout's raw statement, stamped by the database's clock.
    await prisma.$executeRawUnsafe(`UPDATE "Host" SET "desiredRevision" = 3, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE "id" = $1`, host.id);
    for (let i = 0; i < 100 && entry.desiredRevision !== 3; i++) {
      await facts.all();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(entry.desiredRevision).toBe(3);
  });

  it('keeps the hosts in name order, made again when a host comes or a name changes', async () => {
    const facts = new FleetFacts(db.service);
    const names = async () => (await facts.byName()).map((h) => h.name);
    const sorted = (xs: string[]) => xs.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const before = await names();
    expect(before).toEqual(sorted(before));
    const added = await prisma.host.create({ data: { name: '0-first.example.net' } });
    facts.forget();
    expect((await names())[0]).toBe('0-first.example.net');
    await prisma.host.update({ where: { id: added.id }, data: { name: 'zzz-last.example.net' } });
    facts.forget();
    const after = await names();
    expect(after.at(-1)).toBe('zzz-last.example.net');
    expect(after).toEqual(sorted(after));
    expect(after).toHaveLength(facts.size);
  });
});
