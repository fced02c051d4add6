import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { applyMigrations, loadSchemaEngine } from './schema-engine';
import { findPrismaDir, readSchema } from './prisma-files';
import { PGliteThread } from './pglite-thread';

export interface OpenDatabase {
  kind: 'embedded' | 'postgresql';
  factory: SqlMigrationAwareDriverAdapterFactory;
  describe: string;
  close(): Promise<void>;
}

export class DatabaseLockedError extends Error {}

/** `DATABASE_URL` selects PostgreSQL; otherwise the embedded PGlite database under dataDir. */
export async function openDatabase(opts: { databaseUrl?: string; dataDir: string }): Promise<OpenDatabase> {
  if (opts.databaseUrl) {
    // Our own pool, so that close() ends its connections and the process can exit. Waiting for
    // a connection is bounded (pg waits forever by default): a request gets a 500 it can retry
    // rather than hanging; keep-alive finds a connection whose server vanished without a word.
    const pool = new Pool({ connectionString: opts.databaseUrl, connectionTimeoutMillis: 60_000, keepAlive: true });
    // An idle connection the server ended (a restart, a failover, an administrator) is dropped by
    // the pool and replaced on demand; said once per connection, so an operator sees the cause
    // of the 500s a restart brings, and no unhandled 'error' event can end the process.
    pool.on('error', (e) => new Logger('database').warn(`a database connection was lost and will be replaced: ${e.message}`));
    return {
      kind: 'postgresql',
      factory: new PrismaPg(pool),
      describe: redactUrl(opts.databaseUrl),
      close: () => pool.end(),
    };
  }
  const dir = path.resolve(opts.dataDir, 'db');
  fs.mkdirSync(dir, { recursive: true });
  const releaseLock = takeDirectoryLock(path.resolve(opts.dataDir, 'controller.lock'));
  try {
    // In a thread of its own: PGlite's work would otherwise hold the event loop (issue 11).
    // Migrations go through the same thread, so nothing else ever opens this directory.
    const thread = await PGliteThread.start(dir);
    return {
      kind: 'embedded',
      factory: thread.factory,
      describe: `embedded database in ${dir}`,
      close: async () => {
        // Closing PGlite flushes its files; the lock goes only once the thread has ended.
        await thread.close();
        releaseLock();
      },
    };
  } catch (e) {
    releaseLock();
    throw e;
  }
}

/** One process may open a PGlite directory at a time. */
function takeDirectoryLock(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(lockFile, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DatabaseLockedError(
          `the embedded database in ${path.dirname(lockFile)} is in use by process ${pid}; ` +
            'stop that controller, or set QFLEET_DATA_DIR or DATABASE_URL for this one',
        );
      }
      fs.rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`cannot take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql (unparsable DATABASE_URL)';
  }
}

// Any fixed number: replicas that start together serialise their migrations on it.
const MIGRATION_LOCK_KEY = 7_270_431;

/** Applies prisma/migrations; on PostgreSQL under an advisory lock so replicas take turns. */
export async function migrate(db: OpenDatabase, opts: { databaseUrl?: string }, log: (m: string) => void): Promise<string[]> {
  const prismaDir = findPrismaDir();
  const schema = readSchema(prismaDir);
  const run = async () => {
    // On PostgreSQL the engine gets a pool of its own, ended afterwards: Prisma's engine takes
    // its own session advisory lock (72707369) and never lets it go, so on a shared pool that
    // connection would hold it for the life of the process and a second replica could never migrate.
    const own = db.kind === 'postgresql' && opts.databaseUrl ? new Pool({ connectionString: opts.databaseUrl, max: 2 }) : undefined;
    const engine = await loadSchemaEngine(own ? new PrismaPg(own) : db.factory, schema);
    try {
      return await applyMigrations(engine, path.join(prismaDir, 'migrations'));
    } finally {
      engine.free();
      await own?.end();
    }
  };
  if (db.kind !== 'postgresql' || !opts.databaseUrl) return run();
  const client = new Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    log('holding the migration lock');
    return await run();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
