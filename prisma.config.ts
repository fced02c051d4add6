import path from 'node:path';
import { defineConfig } from 'prisma/config';

// See DESIGN.md "Prisma here": generate works with any existing engine path; migrations
// go through tools/db (Prisma's schema engine compiled to WebAssembly).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(__dirname, 'tools', 'no-schema-engine.sh');

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
