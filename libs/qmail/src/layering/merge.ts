import {
  HostDocumentSchema,
  INTEGER_FIELDS,
  LIST_FIELDS,
  SINGLE_LINE_FIELDS,
  issuePath,
  type Alias,
  type Assignment,
  type HostDocument,
  type SmtpRoute,
  type VirtualDomain,
} from '@qfleet/protocol';
import { lowerAscii } from '../control';
import type { Change, Layer, RemoveSpec } from './schema';

/**
 * Layering and rollouts (DESIGN.md "Contract"): the groups of a host in the host's order, then
 * the host itself, each a `Layer`; a rollout's change is one more layer on top. Keys compare as
 * qmail does, ASCII case-insensitively (QMAIL.md §0 constmap; qmail-lspawn and qmail-local
 * lowercase too), so an entry that render would drop as a duplicate is one entry here.
 */

export const SCALAR_FIELDS = [...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS, 'openRelay'] as const;
export const OBJECT_LIST_FIELDS = ['aliases', 'assignments', 'virtualdomains', 'smtproutes'] as const;

type ScalarField = (typeof SCALAR_FIELDS)[number];
type ObjectListField = (typeof OBJECT_LIST_FIELDS)[number];
export type AnyListField = (typeof LIST_FIELDS)[number] | ObjectListField;

export const aliasKey = (a: Pick<Alias, 'name' | 'domain'>): string =>
  a.domain === undefined ? lowerAscii(a.name) : `${lowerAscii(a.name)}@${lowerAscii(a.domain)}`;
export const assignmentKey = (a: Pick<Assignment, 'kind' | 'address'>): string => `${a.kind}:${lowerAscii(a.address)}`;
export const virtualDomainKey = (v: Pick<VirtualDomain, 'match'>): string => lowerAscii(v.match);
export const smtpRouteKey = (r: Pick<SmtpRoute, 'domain'>): string => lowerAscii(r.domain);

interface ListRule {
  field: AnyListField;
  /** the entry's key; a removal (`RemoveSpec`) has the key's fields only, so the same function reads both */
  key: (entry: never) => string;
  /** string lists keep the first spelling (union); object lists take the later entry in place */
  replace: boolean;
}

const LIST_RULES: readonly ListRule[] = [
  ...LIST_FIELDS.map((field): ListRule => ({ field, key: (s: string) => lowerAscii(s), replace: false })),
  { field: 'aliases', key: aliasKey, replace: true },
  { field: 'assignments', key: assignmentKey, replace: true },
  { field: 'virtualdomains', key: virtualDomainKey, replace: true },
  { field: 'smtproutes', key: smtpRouteKey, replace: true },
];

/** The key of an entry of each list field, as merging, removing and diffing compare entries. */
export const ENTRY_KEYS = Object.fromEntries(LIST_RULES.map((r) => [r.field, r.key])) as Record<AnyListField, (entry: never) => string>;

/** Where each value of the effective document came from: `me`, `locals`, `locals[0]`, `aliases[2]` → source. */
export type Origin = Record<string, string>;

export interface MergedDocument {
  document: HostDocument;
  origin: Origin;
}

interface Entry {
  key: string;
  value: unknown;
  source: string;
}

interface ListState {
  /** null: managed and removed */
  entries: Entry[] | null;
  /** the last layer that named the field (a list, `[]` or `null`) */
  source: string;
}

/**
 * A layer's own list as render reads it (Contract "duplicates dropped, first kept"), so a
 * layer means the same on its own and inside a merge.
 */
function ownEntries(values: readonly unknown[], rule: ListRule, source: string): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const value of values) {
    const key = rule.key(value as never);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, value, source });
  }
  return out;
}

function addEntries(acc: Entry[], incoming: Entry[], replace: boolean): Entry[] {
  const out = [...acc];
  const at = new Map(out.map((e, i) => [e.key, i]));
  for (const e of incoming) {
    const i = at.get(e.key);
    if (i === undefined) {
      at.set(e.key, out.length);
      out.push(e);
    } else if (replace) out[i] = e;
  }
  return out;
}

/**
 * Merges layers in order (DESIGN.md "Contract"):
 * - scalars: the last layer that has the field wins, `null` included; absent keeps the earlier value;
 * - lists: `null` makes the field managed-and-removed whatever came before; a list after a `null`
 *   starts afresh from itself; otherwise string lists are a union in order of first appearance
 *   (the first spelling kept) and object lists take a later entry with an equal key in place;
 *   `[]` adds nothing but makes an unmanaged field managed (an empty file);
 * - `remove` applies after the layer's own entries, by key, to the accumulated list; it leaves an
 *   absent or `null` field as it is (removing never starts managing a file) and may leave `[]`.
 */
export function mergeLayers(layers: readonly { source: string; document: Layer }[]): MergedDocument {
  const scalars = new Map<ScalarField, { value: unknown; source: string }>();
  const lists = new Map<AnyListField, ListState>();

  for (const { source, document } of layers) {
    for (const field of SCALAR_FIELDS) {
      const value = document[field];
      if (value !== undefined) scalars.set(field, { value, source });
    }
    for (const rule of LIST_RULES) {
      const value = document[rule.field] as readonly unknown[] | null | undefined;
      const before = lists.get(rule.field);
      if (value === null) lists.set(rule.field, { entries: null, source });
      else if (value !== undefined) {
        const own = ownEntries(value, rule, source);
        lists.set(rule.field, { entries: addEntries(before?.entries ?? [], own, rule.replace), source });
      }
      const removals = document.remove?.[rule.field as keyof RemoveSpec] as readonly unknown[] | undefined;
      const state = lists.get(rule.field);
      if (removals && state?.entries) {
        const gone = new Set(removals.map((r) => rule.key(r as never)));
        lists.set(rule.field, { ...state, entries: state.entries.filter((e) => !gone.has(e.key)) });
      }
    }
  }

  const document: Record<string, unknown> = {};
  const origin: Origin = {};
  // The schema's field order, so the effective document reads like any other.
  for (const field of Object.keys(HostDocumentSchema.shape) as (keyof HostDocument)[]) {
    const scalar = scalars.get(field as ScalarField);
    if (scalar) {
      document[field] = scalar.value;
      origin[field] = scalar.source;
    }
    const list = lists.get(field as AnyListField);
    if (list) {
      document[field] = list.entries && list.entries.map((e) => e.value);
      origin[field] = list.source;
      list.entries?.forEach((e, i) => (origin[issuePath([field, i])] = e.source));
    }
  }
  return { document: document as HostDocument, origin };
}

/** A rollout's change as one more layer (DESIGN.md: layering and rollouts use one change form). */
export function changeAsLayer(change: Change): Layer {
  return { ...change.add, ...change.set, ...(change.remove ? { remove: change.remove } : {}) };
}
