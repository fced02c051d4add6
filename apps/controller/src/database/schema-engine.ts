import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import fs from 'node:fs';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * Prisma's own schema engine, compiled to WebAssembly, driven through a driver adapter.
 * Prisma's CLI would download a native engine, which cannot happen here (DESIGN.md
 * "Prisma here"); this keeps Prisma's `_prisma_migrations` table, so a database stays
 * compatible with the standard CLI wherever that one runs.
 */

// The package is ESM-only: keep a real import() that neither tsc nor webpack rewrites.
const realImport = new Function('s', 'return import(s)') as (s: string) => Promise<any>;

export interface MigrationFiles {
  baseDir: string;
  lockfile: { path: string; content: string | null };
  shadowDbInitScript: string;
  migrationDirectories: {
    path: string;
    migrationFile: { path: string; content: { tag: 'ok'; value: string } };
  }[];
}

const NO_FILTERS = { externalTables: [] as string[], externalEnums: [] as string[] };

export interface SchemaEngine {
  applyMigrations(input: { migrationsList: MigrationFiles; filters: typeof NO_FILTERS }): Promise<{ appliedMigrationNames: string[] }>;
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

export async function loadSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: { path: string; content: string },
  log: (line: string) => void = () => undefined,
): Promise<SchemaEngine> {
  const bg = await (engineModule ??= instantiateEngine());
  return bg.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    (line: string) => log(line),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
}

// The bindings keep the WebAssembly instance in module state: instantiate once per process.
let engineModule: Promise<any> | undefined;

async function instantiateEngine(): Promise<any> {
  const req = createRequire(__filename);
  const bgPath = req.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bg = await realImport(pathToFileUrl(bgPath));
  const wasmBytes = await readFile(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(wasmBytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  return bg;
}

function pathToFileUrl(p: string): string {
  return 'file://' + p.split(path.sep).map(encodeURIComponent).join('/');
}

/** Reads prisma/migrations the way Prisma's CLI does. */
export function readMigrations(migrationsDir: string): MigrationFiles {
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const dirs = fs.existsSync(migrationsDir)
    ? fs
        .readdirSync(migrationsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && fs.existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
        .map((d) => d.name)
        .sort()
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok', value: fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

export async function applyMigrations(engine: SchemaEngine, migrationsDir: string): Promise<string[]> {
  const out = await engine.applyMigrations({ migrationsList: readMigrations(migrationsDir), filters: NO_FILTERS });
  return out.appliedMigrationNames;
}

/** The SQL that would take the migrations to the schema; empty when they agree. */
export async function diffMigrationsToSchema(
  engine: SchemaEngine,
  migrationsDir: string,
  schema: { path: string; content: string },
): Promise<string> {
  const out = await engine.diff({
    from: { tag: 'migrations', ...readMigrations(migrationsDir) },
    to: { tag: 'schemaDatamodel', files: [schema] },
    script: true,
    exitCode: null,
    filters: NO_FILTERS,
  });
  const sql = (out.stdout ?? '').trim();
  return sql === '' || sql.startsWith('-- This is an empty migration.') ? '' : sql;
}
