import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prisma, PrismaClient } from '../generated/prisma/client';
import { migrate, openDatabase, type OpenDatabase } from './open-database';

// The embedded database as the controller opens it: PGlite in its worker thread, migrated
// through it (needs NODE_OPTIONS=--experimental-vm-modules for the schema engine).
jest.setTimeout(180_000);

describe('the embedded database in its own thread', () => {
  let dataDir: string;
  let db: OpenDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-pglite-thread-'));
    db = await openDatabase({ dataDir });
    await migrate(db, {}, () => undefined);
    prisma = new PrismaClient({ adapter: db.factory });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves the event loop turning while a large write runs', async () => {
    await prisma.$executeRawUnsafe('CREATE TABLE bulk (n int, s text)');
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    // Started after the first turn was scheduled; in the controller's thread this one
    // statement (a few hundred ms of WebAssembly) would let no turn happen until it ended.
    const write = prisma.$executeRawUnsafe("INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, 200000) g");
    const turnsAtStart = turns;
    const inserted = await write;
    done = true;
    expect(inserted).toBe(200_000);
    expect(turns - turnsAtStart).toBeGreaterThan(10);
  });

  it('keeps Prisma error codes across the thread: a duplicate name is P2002', async () => {
    await prisma.host.create({ data: { name: 'dup.example' } });
    const e = await prisma.host.create({ data: { name: 'dup.example' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((e as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
    expect((e as Prisma.PrismaClientKnownRequestError).meta).toMatchObject({ driverAdapterError: expect.anything() });
  });

  it('queues other statements behind an open transaction until it ends', async () => {
    let countedDuring: Promise<number> | undefined;
    const rolledBack = prisma
      .$transaction(async (tx) => {
        await tx.host.create({ data: { name: 'in-tx.example' } });
        // Outside the transaction: on one PGlite session it would see the uncommitted row
        // if it ran now; it must wait and see the state after the rollback.
        countedDuring = prisma.host.count({ where: { name: 'in-tx.example' } });
        await new Promise((r) => setTimeout(r, 50));
        expect(await tx.host.count({ where: { name: 'in-tx.example' } })).toBe(1);
        throw new Error('roll back');
      })
      .catch((e: Error) => e.message);
    expect(await rolledBack).toBe('roll back');
    expect(await countedDuring).toBe(0);
  });

  it('commits a transaction and the data outlives closing and reopening the directory', async () => {
    await prisma.$transaction([prisma.host.create({ data: { name: 'kept-1.example' } }), prisma.host.create({ data: { name: 'kept-2.example' } })]);
    await prisma.$disconnect();
    await db.close();
    expect(fs.existsSync(path.join(dataDir, 'controller.lock'))).toBe(false);
    db = await openDatabase({ dataDir });
    prisma = new PrismaClient({ adapter: db.factory });
    expect(await migrate(db, {}, () => undefined)).toEqual([]);
    expect(await prisma.host.count({ where: { name: { startsWith: 'kept-' } } })).toBe(2);
    expect(Number((await prisma.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM bulk'))[0].n)).toBe(200_000);
  });
});
