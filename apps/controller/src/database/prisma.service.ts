import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaClient } from '../generated/prisma/client';
import type { Settings } from '../settings/settings';
import { migrate, openDatabase, type OpenDatabase } from './open-database';

/**
 * The one way to the database. Opens the embedded database or PostgreSQL, applies the
 * migrations (every start, DESIGN.md "Prisma here"), and is the Prisma client itself.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('database');

  constructor(@Inject('OPEN_DATABASE') private readonly db: OpenDatabase) {
    // Prisma's defaults (2 s to get a connection, 5 s to finish) turn a loaded machine, or a
    // pool reconnecting after a database restart, into 500s for ordinary one-host writes (a
    // PUT's revision and its audit entry); the bulk paths already set more.
    super({ adapter: db.factory, transactionOptions: { maxWait: 30_000, timeout: 60_000 } });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.db.close();
  }

  get kind(): OpenDatabase['kind'] {
    return this.db.kind;
  }
}

/** Opened and migrated before Nest starts, so a locked or unreachable database is one clear line. */
export async function openAndMigrate(settings: Settings): Promise<OpenDatabase> {
  const logger = new Logger('database');
  const db = await openDatabase(settings);
  logger.log(`using the ${db.describe}`);
  try {
    const applied = await migrate(db, settings, (m) => logger.log(m));
    logger.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema up to date');
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}
