import type { Prisma } from '../generated/prisma/client';

/** What a batch's send records for one host's rollout row (fields not given are cleared). */
export interface RowMark {
  hostId: string;
  state: string;
  error?: string | null;
  revision?: number | null;
  previousRevision?: number | null;
  sentAt?: Date | null;
  queueBefore?: number | null;
  oldestBefore?: number | null;
  doneAt?: Date | null;
}

/**
 * Records many rows of one rollout in one statement: a batch of 1,000 hosts was 1,000
 * UPDATEs, each a round trip (and on the embedded database, a turn of the event loop lost).
 * Only for rows still pending, whose other fields are empty, so clearing what is not given
 * changes nothing else.
 */
export function markRows(db: Pick<Prisma.TransactionClient, '$executeRawUnsafe'>, rolloutId: string, rows: RowMark[]): Promise<number> {
  if (!rows.length) return Promise.resolve(0);
  const data = rows.map((r) => ({
    hostId: r.hostId,
    state: r.state,
    error: r.error ?? null,
    revision: r.revision ?? null,
    previousRevision: r.previousRevision ?? null,
    sentAt: r.sentAt?.toISOString() ?? null,
    queueBefore: r.queueBefore ?? null,
    oldestBefore: r.oldestBefore ?? null,
    doneAt: r.doneAt?.toISOString() ?? null,
  }));
  // Timestamps are written as Prisma writes them: UTC, in a column without a zone.
  return db.$executeRawUnsafe(
    `UPDATE "RolloutHost" AS r SET
       "state" = x."state", "error" = x."error", "revision" = x."revision", "previousRevision" = x."previousRevision",
       "sentAt" = x."sentAt", "queueBefore" = x."queueBefore", "oldestBefore" = x."oldestBefore", "doneAt" = x."doneAt"
     FROM jsonb_to_recordset($2::jsonb) AS x("hostId" text, "state" text, "error" text, "revision" int, "previousRevision" int,
       "sentAt" timestamp(3), "queueBefore" int, "oldestBefore" double precision, "doneAt" timestamp(3))
     WHERE r."rolloutId" = $1 AND r."hostId" = x."hostId"`,
    rolloutId,
    JSON.stringify(data),
  );
}

/** A rollout of at least this many hosts refreshes the table's statistics once its rows are in. */
export const ANALYZE_AT = 1000;

/**
 * Refreshes the planner's statistics of "RolloutHost" after a large rollout added its rows.
 * Until autovacuum gets to it (a minute or more on PostgreSQL, never on the embedded database)
 * the planner believes the new rollout has a handful of rows, and the reconcile's moves of
 * a few hundred acked hosts each became a nested loop over all of the rollout's rows: 40 ms
 * a statement, 1.6 s of PostgreSQL's time in a 10,000-host rollout, instead of 1–5 ms.
 * ANALYZE samples a bounded number of rows, so this stays cheap however large the table.
 */
export async function analyzeRolloutRows(db: Pick<Prisma.TransactionClient, '$executeRawUnsafe'>): Promise<void> {
  await db.$executeRawUnsafe('ANALYZE "RolloutHost"');
}
