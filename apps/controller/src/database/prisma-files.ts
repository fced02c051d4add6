import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the schema and migrations are: beside the built controller (copied there by the
 * build), or the repository's prisma/ folder when run from source (tests, tools).
 */
export function findPrismaDir(): string {
  const candidates = [path.join(__dirname, 'prisma')];
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, 'prisma'));
    if (path.dirname(dir) === dir) break;
  }
  candidates.push(path.join(process.cwd(), 'prisma'));
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'schema.prisma')));
  if (!found) throw new Error('cannot find prisma/schema.prisma beside the controller or above it');
  return found;
}

export function readSchema(prismaDir: string): { path: string; content: string } {
  const file = path.join(prismaDir, 'schema.prisma');
  return { path: 'schema.prisma', content: fs.readFileSync(file, 'utf8') };
}
