import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { diffMigrationsToSchema, loadSchemaEngine } from './schema-engine';
import { readSchema } from './prisma-files';

/**
 * `npm run db:migration -- NAME`: writes the SQL that takes prisma/migrations to
 * prisma/schema.prisma. PGlite in memory gives the shadow database, so no server is needed.
 */
export async function createMigration(prismaDir: string, name: string): Promise<string | null> {
  if (!/^[a-z0-9_]+$/i.test(name)) throw new Error('a migration name is letters, digits and _');
  const migrationsDir = path.join(prismaDir, 'migrations');
  fs.mkdirSync(migrationsDir, { recursive: true });
  const lock = path.join(migrationsDir, 'migration_lock.toml');
  if (!fs.existsSync(lock)) fs.writeFileSync(lock, 'provider = "postgresql"\n');
  const pglite = new PGlite();
  try {
    const schema = readSchema(prismaDir);
    const engine = await loadSchemaEngine(new PrismaPGlite(pglite), schema);
    try {
      const sql = await diffMigrationsToSchema(engine, migrationsDir, schema);
      if (!sql) return null;
      const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
      const dir = path.join(migrationsDir, `${stamp}_${name}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'migration.sql'), sql + '\n');
      return dir;
    } finally {
      engine.free();
    }
  } finally {
    await pglite.close();
  }
}
