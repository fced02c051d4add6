import type { RenderedSet } from '@qfleet/qmail';
import type { PrismaService } from '../database/prisma.service';

/** A host and the revision whose rendering is wanted. */
export interface RevisionOf {
  id: string;
  revision: number;
}

/** Pairs per statement: one parameter each time, whatever the count. */
const CHUNK = 1000;

/**
 * The renderings of these (host, revision) pairs, by host id. A join on the list passed as one
 * JSON parameter, not Prisma's `OR` of one clause per pair: PostgreSQL plans a 10,000-clause OR
 * as a scan that filters every row through every clause (minutes for the whole fleet's list),
 * and the client spends its own time building it.
 */
export async function renderingsOf(prisma: PrismaService, pairs: readonly RevisionOf[]): Promise<Map<string, { revision: number; rendered: RenderedSet }>> {
  const out = new Map<string, { revision: number; rendered: RenderedSet }>();
  for (let i = 0; i < pairs.length; i += CHUNK) {
    const chunk = pairs.slice(i, i + CHUNK);
    const rows = await prisma.$queryRawUnsafe<{ hostId: string; revision: number; rendered: unknown }[]>(
      `SELECT c."hostId", c."revision", c."rendered"
         FROM "HostConfig" c
         JOIN jsonb_to_recordset($1::jsonb) AS x(id text, revision int) ON c."hostId" = x.id AND c."revision" = x.revision`,
      JSON.stringify(chunk),
    );
    for (const row of rows) out.set(row.hostId, { revision: row.revision, rendered: row.rendered as RenderedSet });
  }
  return out;
}
