import type { Prisma } from '../generated/prisma/client';

/**
 * Groups a host names are created on first use, empty: a group is also a tag. One
 * `INSERT … ON CONFLICT DO NOTHING`, not an upsert: Prisma's upsert reads then inserts, so two
 * requests naming the same new group at once both inserted and one failed on the primary key.
 */
export async function ensureGroups(db: Prisma.TransactionClient, names: readonly string[]): Promise<void> {
  const unique = [...new Set(names)];
  if (!unique.length) return;
  await db.group.createMany({ data: unique.map((name) => ({ name, document: {} })), skipDuplicates: true });
}

/**
 * A unique constraint violated (a name taken by a request that ran alongside): Prisma's P2002
 * from its own queries, PostgreSQL's 23505 inside P2010 from a raw one.
 */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } }; message?: unknown } | null;
  if (err?.code === 'P2002') return true;
  if (err?.code !== 'P2010') return false;
  const cause = err.meta?.driverAdapterError?.cause;
  return err.meta?.code === '23505' || cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505' || /\b23505\b|unique constraint/i.test(String(err.message));
}
