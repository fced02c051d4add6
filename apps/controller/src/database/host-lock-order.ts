/**
 * The hosts a bulk statement writes, locked in one order (by id) before it writes them.
 *
 * Bulk writes to "Host" run side by side: a rollout chunk's revision bump (in a transaction
 * that goes on to insert the revisions), batched acks, batched reports. Each locks its rows in
 * whatever order its plan visits them, so two of them could each hold a row the other waits
 * for: PostgreSQL's "deadlock detected", seen at 10,000 hosts. Taking the locks first in
 * ascending id order (a locking subquery cannot be flattened into the join, so it runs as
 * written) means every writer waits in the same order and none can close a cycle. The lock is
 * the one the UPDATE itself takes (FOR NO KEY UPDATE, no key column changes): FOR UPDATE would
 * also block the FOR KEY SHARE that every insert of a row referencing a host takes (HostConfig's
 * foreign key), waits the UPDATE alone never caused.
 *
 * `ids`: a SQL expression listing the ids, e.g. `SELECT jsonb_array_elements_text($1::jsonb)`.
 */
export function hostsLockedInOrder(ids: string): string {
  return `(SELECT "id" FROM "Host" WHERE "id" IN (${ids}) ORDER BY "id" FOR NO KEY UPDATE)`;
}

/** The ids of a bulk write whose $1 is a JSON array of rows, each with an `id` (read with jsonb_to_recordset). */
export const RECORDSET_IDS = 'SELECT y.id FROM jsonb_to_recordset($1::jsonb) AS y(id text)';

/**
 * The same locks, as an array to compare with (`"id" = ${hostIdsLockedInOrder(ids)}`): the
 * locking subquery runs first, on its own, and the statement then finds its rows by the ids
 * through the primary key. As a semi-join (`IN`) the planner may instead scan the whole table
 * when its statistics are off, which a fleet that was just created or imported makes them.
 */
export function hostIdsLockedInOrder(ids: string): string {
  return `ANY (ARRAY(SELECT "id" FROM "Host" WHERE "id" = ANY (ARRAY(${ids})) ORDER BY "id" FOR NO KEY UPDATE))`;
}
