/*
 * Large JSON values that many rows of one read hold alike (the hosts of a group share a
 * rendering and mostly report the same hashes) are sent by the database once per distinct
 * value and parsed here once: the statement keys each value (jsonb's text is canonical, so
 * equal values have equal md5s) and returns the value on the first row of each key only; the
 * rows are then given the one parsed copy of their key.
 */

/** The md5 of a jsonb expression's text: equal values, equal keys. */
export const jsonKey = (expr: string): string => `md5((${expr})::text)`;

/** VALUE on the first row (by ORDER) of each KEY, NULL on the others. */
export const firstOfKey = (value: string, key: string, order = '"id"'): string =>
  `CASE WHEN row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) = 1 THEN ${value} END`;

/** The one copy of each key's value, from the rows that carry it (firstOfKey). */
export function valuesByKey<K, V>(rows: Iterable<{ key: K; value: V | null | undefined }>): Map<K, V> {
  const out = new Map<K, V>();
  for (const { key, value } of rows) if (value !== null && value !== undefined && !out.has(key)) out.set(key, value);
  return out;
}
