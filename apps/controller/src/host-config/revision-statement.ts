import type { HostToSend } from '../agents/apply-dispatcher.service';
import type { PrismaService } from '../database/prisma.service';
import { hostIdsLockedInOrder } from '../database/host-lock-order';
import type { RowMark } from '../rollouts/rollout-rows';
import { firstOfKey, jsonKey } from '../database/once-per-key';

/** A host row as a chunk's revision bump returns it; `reportedFiles` only on the first row of its `reportedKey`. */
export type BumpedHost = Omit<HostToSend, 'reportedFiles'> & { reportedKey: string | null; reportedFiles: HostToSend['reportedFiles'] | null };

/** What a rollout records of a host's new revision in its row (the revision numbers come from the bump). */
export type RevisionMark = Omit<RowMark, 'hostId' | 'revision' | 'previousRevision'>;

/** One host of a chunk: its content and audit diff by index into the shared lists, the revision it follows, its rollout row's mark. */
export interface RevisionRow {
  hostId: string;
  /** index into `contents`: the new revision's document, effective document and rendering */
  k: number;
  /** index into `diffs`: the audit entry's diff, less the revision number */
  d: number;
  previous: number;
  mark?: RevisionMark;
}

export interface RevisionChunk {
  rows: RevisionRow[];
  contents: { document: unknown; effective: unknown; rendered: unknown }[];
  diffs: unknown[];
  /** who stored it (HostConfig.createdBy, AuditEntry.actor) */
  by: string;
  action: string;
  /** the rollout whose rows record the revisions (each row's `mark`) */
  rolloutId?: string;
}

/**
 * Stores a chunk of new revisions in one statement: the hosts' counters bumped (locked in id
 * order, see hostIdsLockedInOrder), their revisions, their audit entries and, for a rollout, the
 * rollout rows naming them. One statement is one transaction, so all of it exists or none.
 *
 * It used to be an interactive transaction of four or five statements, each a round trip
 * through the controller's event loop while the bump's row locks were held: during a
 * 10,000-host rollout that loop is busy with acks and reports, the transaction sat "idle in
 * transaction" between statements, and the ack and report writes queued on its locks.
 *
 * The hosts' rows are found by their ids as arrays (`= ANY (ARRAY(...))`), which the planner
 * reads through the index whatever its statistics say; joined with the chunk's list it chose,
 * on a fresh fleet's statistics, to scan every host or every row of the rollout per chunk.
 *
 * Returns the bumped rows (the hosts that still exist), as `toSend` wants them.
 */
export function storeRevisionChunk(db: Pick<PrismaService, '$queryRawUnsafe'>, chunk: RevisionChunk): Promise<BumpedHost[]> {
  const marks = chunk.rolloutId
    ? `,
     m AS (
       UPDATE "RolloutHost" AS r SET
         "state" = bx."mark"->>'state', "error" = bx."mark"->>'error', "revision" = bx."desiredRevision", "previousRevision" = bx."previous",
         "sentAt" = (bx."mark"->>'sentAt')::timestamp(3), "queueBefore" = (bx."mark"->>'queueBefore')::int,
         "oldestBefore" = (bx."mark"->>'oldestBefore')::double precision, "doneAt" = (bx."mark"->>'doneAt')::timestamp(3)
         FROM bx
        WHERE r."rolloutId" = $6 AND r."hostId" = ANY (ARRAY(SELECT bx."id" FROM bx)) AND r."hostId" = bx."id" AND bx."mark" IS NOT NULL)`
    : '';
  return db.$queryRawUnsafe<BumpedHost[]>(
    `WITH x AS MATERIALIZED (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("hostId" text, "k" int, "d" int, "previous" int, "mark" jsonb)),
     b AS (
       UPDATE "Host" SET "desiredRevision" = "desiredRevision" + 1, "updatedAt" = (now() AT TIME ZONE 'UTC')
        WHERE "id" = ${hostIdsLockedInOrder('SELECT x."hostId" FROM x')}
        RETURNING "id", "name", "desiredRevision", "appliedRevision", "failedRevision", "driftPolicy", "heldRevision", "reportedFiles", ${jsonKey('"reportedFiles"')} AS "reportedKey"),
     bx AS MATERIALIZED (
       SELECT b."id", b."desiredRevision", x."k", x."d", x."previous", x."mark" FROM b JOIN x ON x."hostId" = b."id"),
     c AS (
       INSERT INTO "HostConfig" ("id", "hostId", "revision", "document", "effective", "rendered", "createdBy", "createdAt")
       SELECT gen_random_uuid()::text, bx."id", bx."desiredRevision", t.value->'document', t.value->'effective', t.value->'rendered', $2, (now() AT TIME ZONE 'UTC')
         FROM bx JOIN jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(value, i) ON t.i = bx."k" + 1),
     a AS (
       INSERT INTO "AuditEntry" ("id", "at", "actor", "action", "target", "diff")
       SELECT gen_random_uuid()::text, (now() AT TIME ZONE 'UTC'), $2, $4, 'host:' || bx."id", jsonb_build_object('revision', bx."desiredRevision") || d.value
         FROM bx JOIN jsonb_array_elements($5::jsonb) WITH ORDINALITY AS d(value, i) ON d.i = bx."d" + 1)${marks}
     SELECT "id", "name", "desiredRevision", "appliedRevision", "failedRevision", "driftPolicy", "heldRevision", "reportedKey",
            ${firstOfKey('"reportedFiles"', '"reportedKey"')} AS "reportedFiles"
       FROM b`,
    JSON.stringify(chunk.rows.map((r) => ({ ...r, mark: r.mark ? markJson(r.mark) : null }))),
    chunk.by,
    JSON.stringify(chunk.contents),
    chunk.action,
    JSON.stringify(chunk.diffs),
    ...(chunk.rolloutId ? [chunk.rolloutId] : []),
  );
}

/** A mark as the statement reads it: every field present (null when not given), timestamps in UTC as Prisma writes them. */
function markJson(m: RevisionMark) {
  return {
    state: m.state,
    error: m.error ?? null,
    sentAt: m.sentAt?.toISOString() ?? null,
    queueBefore: m.queueBefore ?? null,
    oldestBefore: m.oldestBefore ?? null,
    doneAt: m.doneAt?.toISOString() ?? null,
  };
}
