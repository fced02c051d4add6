import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { migrate, openDatabase, type OpenDatabase } from './open-database';

const BATCH_ROWS = 1000;

export interface MoveResult {
  tables: { name: string; rows: number }[];
}

/**
 * Copies the embedded database under dataDir into an empty PostgreSQL database (`db:move`).
 * The source is opened the way the controller opens it, so a running controller holding it
 * stops the move; the target is migrated first, must hold no rows, and receives every table
 * in foreign-key order inside one transaction, committed only when each table's row count
 * matches the source. Rows travel as PostgreSQL's own JSON of the row (row_to_json, then
 * json_populate_recordset), so every type comes back exactly as it was stored.
 * The embedded database is left as it was.
 */
export async function moveEmbeddedToPostgres(opts: { dataDir: string; to: string }, log: (line: string) => void): Promise<MoveResult> {
  // Opening would create an empty one: a mistyped QFLEET_DATA_DIR must not "move" nothing.
  if (!fs.existsSync(path.join(opts.dataDir, 'db'))) throw new Error(`no embedded database in ${opts.dataDir} (QFLEET_DATA_DIR)`);
  const source = await openDatabase({ dataDir: opts.dataDir });
  let target: OpenDatabase | undefined;
  try {
    await migrate(source, {}, log);
    target = await openDatabase({ databaseUrl: opts.to, dataDir: opts.dataDir });
    await migrate(target, { databaseUrl: opts.to }, log);
    await target.close();
    target = undefined;
    const from = await source.factory.connect();
    const client = new Client({ connectionString: opts.to });
    await client.connect();
    try {
      return await copyAll(from, client, log);
    } finally {
      await client.end();
    }
  } finally {
    await target?.close();
    await source.close();
  }
}

async function copyAll(from: SqlDriverAdapter, to: Client, log: (line: string) => void): Promise<MoveResult> {
  const tables = await tablesInDependencyOrder(to);
  const result: MoveResult = { tables: [] };
  await to.query('BEGIN');
  try {
    const nonEmpty: string[] = [];
    for (const t of tables) if ((await countRows(to, t)) > 0) nonEmpty.push(t);
    if (nonEmpty.length) throw new Error(`the target database is not empty (rows in ${nonEmpty.join(', ')}): refusing to move into it`);
    for (const table of tables) {
      const keys = await primaryKey(to, table);
      const order = (keys.length ? keys : ['ctid']).map(quoteIdent).join(', ');
      let copied = 0;
      for (;;) {
        // Ordered by the primary key, so that paging sees every row once.
        const page = await query(from, `SELECT row_to_json(t)::text FROM ${quoteIdent(table)} t ORDER BY ${order} LIMIT ${BATCH_ROWS} OFFSET ${copied}`);
        if (page.length === 0) break;
        await to.query(`INSERT INTO ${quoteIdent(table)} SELECT * FROM json_populate_recordset(NULL::${quoteIdent(table)}, $1::json)`, [`[${page.map((r) => r[0]).join(',')}]`]);
        copied += page.length;
        if (page.length < BATCH_ROWS) break;
      }
      const want = Number((await query(from, `SELECT count(*)::text FROM ${quoteIdent(table)}`))[0][0]);
      const got = await countRows(to, table);
      if (got !== want || copied !== want) throw new Error(`${table}: ${want} rows in the embedded database, ${got} copied: nothing was moved`);
      log(`${table}: ${got} rows`);
      result.tables.push({ name: table, rows: got });
    }
    await to.query('COMMIT');
  } catch (e) {
    await to.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return result;
}

/** The application's tables (not Prisma's migration record), each after the tables it references. */
async function tablesInDependencyOrder(db: Client): Promise<string[]> {
  const tables = (await db.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations' ORDER BY tablename")).rows.map((r) => r.name);
  const refs = (
    await db.query<{ child: string; parent: string }>(
      "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
    )
  ).rows.map((r) => ({ child: unquote(r.child), parent: unquote(r.parent) }));
  const ordered: string[] = [];
  const visit = (t: string, path: string[]) => {
    if (ordered.includes(t)) return;
    if (path.includes(t)) throw new Error(`foreign keys form a cycle through ${t}: cannot order the copy`);
    for (const r of refs) if (r.child === t && r.parent !== t) visit(r.parent, [...path, t]);
    ordered.push(t);
  };
  for (const t of tables) visit(t, []);
  return ordered;
}

async function primaryKey(db: Client, table: string): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    'SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)',
    [quoteIdent(table)],
  );
  return r.rows.map((x) => x.name);
}

async function countRows(db: Client, table: string): Promise<number> {
  return Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(table)}`)).rows[0].n);
}

async function query(db: SqlDriverAdapter, sql: string): Promise<unknown[][]> {
  return (await db.queryRaw({ sql, args: [], argTypes: [] })).rows;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** regclass::text quotes names with capitals ("Host"): back to the bare name. */
function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}
