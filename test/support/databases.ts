import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The databases the end-to-end tests run on: always the embedded one, and PostgreSQL when
 * QFLEET_TEST_PG_URL names a server (CI sets it). Each test gets a database of its own.
 */
export type TestDatabase = 'embedded' | 'postgres';

export function testDatabases(): TestDatabase[] {
  return process.env['QFLEET_TEST_PG_URL'] ? ['embedded', 'postgres'] : ['embedded'];
}

export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env['QFLEET_TEST_PG_URL'];
  if (!admin) throw new Error('QFLEET_TEST_PG_URL is not set');
  const name = `qfleet_test_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
