import path from 'node:path';
import { createMigration } from './database/create-migration';
import { migrate, openDatabase } from './database/open-database';
import { moveEmbeddedToPostgres } from './database/move-database';
import { loadSettings } from './settings/settings';

/** The controller's entry: `serve` (default), `db:migrate`, `db:migration NAME`, `db:move --to URL`. */
export async function runCommand(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command !== 'serve') {
    // The schema engine keeps a timer alive for seconds after its work: end one-shot commands.
    await runOneShot(command, rest);
    process.exit(0);
  }
  const { serve } = await import('./serve');
  return serve();
}

async function runOneShot(command: string, rest: string[]): Promise<void> {
  switch (command) {
    case 'db:migrate': {
      const settings = loadSettings(process.env);
      const db = await openDatabase(settings);
      try {
        const applied = await migrate(db, settings, (m) => console.log(m));
        console.log(applied.length ? `applied: ${applied.join(', ')}` : `${db.describe}: up to date`);
      } finally {
        await db.close();
      }
      return;
    }
    case 'db:migration': {
      if (!rest[0]) throw new Error('usage: npm run db:migration -- NAME');
      // Authoring writes to the repository's prisma/, never to a copy beside a build.
      const dir = await createMigration(path.join(process.cwd(), 'prisma'), rest[0]);
      console.log(dir ? `wrote ${path.relative(process.cwd(), dir)}/migration.sql` : 'schema unchanged: no migration written');
      return;
    }
    case 'db:move': {
      const i = rest.findIndex((a) => a === '--to' || a.startsWith('--to='));
      const to = i < 0 ? undefined : rest[i].startsWith('--to=') ? rest[i].slice('--to='.length) : rest[i + 1];
      if (!to || !/^postgres(ql)?:\/\//.test(to)) throw new Error('usage: npm run db:move -- --to postgresql://USER@HOST/DATABASE');
      const settings = loadSettings(process.env);
      if (settings.databaseUrl) throw new Error('db:move moves the embedded database (QFLEET_DATA_DIR): unset DATABASE_URL');
      const moved = await moveEmbeddedToPostgres({ dataDir: settings.dataDir, to }, (m) => console.log(m));
      const rows = moved.tables.reduce((n, t) => n + t.rows, 0);
      console.log(`moved ${rows} rows in ${moved.tables.length} tables; start the controller with DATABASE_URL set to the target (the embedded database is left as it was)`);
      return;
    }
    default:
      throw new Error(`unknown command "${command}" (the commands are serve, db:migrate, db:migration NAME, db:move --to URL)`);
  }
}
