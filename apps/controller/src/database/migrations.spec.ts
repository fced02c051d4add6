import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations, diffMigrationsToSchema, loadSchemaEngine, type SchemaEngine } from './schema-engine';
import { findPrismaDir, readSchema } from './prisma-files';

// Needs NODE_OPTIONS=--experimental-vm-modules (PGlite and the engine load with import()).
jest.setTimeout(120_000);

describe('prisma/migrations', () => {
  const prismaDir = findPrismaDir();
  const migrationsDir = path.join(prismaDir, 'migrations');
  const schema = readSchema(prismaDir);
  let pglite: PGlite;
  let engine: SchemaEngine;

  beforeAll(async () => {
    pglite = new PGlite();
    engine = await loadSchemaEngine(new PrismaPGlite(pglite), schema);
  });
  afterAll(async () => {
    engine?.free();
    await pglite?.close();
  });

  it('describe exactly prisma/schema.prisma: no migration is missing', async () => {
    expect(await diffMigrationsToSchema(engine, migrationsDir, schema)).toBe('');
  });

  it('apply to an empty database once, and a second time apply nothing', async () => {
    const first = await applyMigrations(engine, migrationsDir);
    expect(first.length).toBeGreaterThan(0);
    expect(await applyMigrations(engine, migrationsDir)).toEqual([]);
    const tables = await pglite.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.rows.map((r) => r.tablename)).toEqual(['ApiToken', 'AuditEntry', 'Group', 'Host', 'HostConfig', 'MailboxSample', 'QueueSample', 'Rollout', 'RolloutHost', '_prisma_migrations']);
  });
});
