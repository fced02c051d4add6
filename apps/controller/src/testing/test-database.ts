import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations, loadSchemaEngine } from '../database/schema-engine';
import { findPrismaDir, readSchema } from '../database/prisma-files';
import { PrismaClient } from '../generated/prisma/client';
import type { PrismaService } from '../database/prisma.service';

/** A fresh in-memory PGlite database with every migration of prisma/migrations applied. */
export interface TestDatabase {
  pglite: PGlite;
  prisma: PrismaClient;
  /** The client as the services take it (PrismaService only adds the Nest lifecycle). */
  service: PrismaService;
  close(): Promise<void>;
}

// For unit specs: the real schema through the real migrations, no server. The schema engine
// and PGlite load with import(), so the spec needs NODE_OPTIONS=--experimental-vm-modules.
export async function openTestDatabase(): Promise<TestDatabase> {
  const pglite = new PGlite();
  const factory = new PrismaPGlite(pglite);
  const prismaDir = findPrismaDir();
  const engine = await loadSchemaEngine(factory, readSchema(prismaDir));
  try {
    await applyMigrations(engine, path.join(prismaDir, 'migrations'));
  } finally {
    engine.free();
  }
  const prisma = new PrismaClient({ adapter: factory });
  return {
    pglite,
    prisma,
    service: prisma as unknown as PrismaService,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
