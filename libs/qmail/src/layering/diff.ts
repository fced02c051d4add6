import { isDeepStrictEqual } from 'node:util';
import { HostDocumentSchema, type HostDocument } from '@qfleet/protocol';
import { ENTRY_KEYS, type AnyListField } from './merge';

export interface DocumentDiff {
  added: { field: string; value: unknown }[];
  removed: { field: string; value: unknown }[];
  changed: { field: string; before: unknown; after: unknown }[];
}

function keyed(list: readonly unknown[], key: (entry: never) => string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  // The first of equal keys is the one render writes (Contract "duplicates dropped, first kept").
  for (const e of list) if (!out.has(key(e as never))) out.set(key(e as never), e);
  return out;
}

/**
 * What changed between two documents, for audit entries and dry runs. A field that starts or
 * stops being managed is added or removed whole; a field that changes between a value and
 * `null` (or between two scalars) is changed; two lists compare entry by entry with the
 * merge's keys, so `field` names the list and `value` the entry. List order is not compared.
 */
export function documentDiff(before: HostDocument, after: HostDocument): DocumentDiff {
  const diff: DocumentDiff = { added: [], removed: [], changed: [] };
  for (const field of Object.keys(HostDocumentSchema.shape) as (keyof HostDocument)[]) {
    const b = before[field];
    const a = after[field];
    if (b === undefined && a === undefined) continue;
    if (b === undefined) diff.added.push({ field, value: a });
    else if (a === undefined) diff.removed.push({ field, value: b });
    else if (Array.isArray(b) && Array.isArray(a)) {
      const key = ENTRY_KEYS[field as AnyListField];
      const bs = keyed(b, key);
      const as = keyed(a, key);
      for (const [k, v] of as) {
        if (!bs.has(k)) diff.added.push({ field, value: v });
        else if (!isDeepStrictEqual(bs.get(k), v)) diff.changed.push({ field, before: bs.get(k), after: v });
      }
      for (const [k, v] of bs) if (!as.has(k)) diff.removed.push({ field, value: v });
    } else if (!isDeepStrictEqual(b, a)) diff.changed.push({ field, before: b, after: a });
  }
  return diff;
}
