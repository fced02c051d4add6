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

/** Prisma's code for a unique constraint violated (a name taken by a request that ran alongside). */
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'P2002';
}
