import { INTEGER_FIELDS, LIST_FIELDS, SINGLE_LINE_FIELDS, type HostDocument } from '@qfleet/protocol';
import { ENTRY_KEYS, OBJECT_LIST_FIELDS, SCALAR_FIELDS, changeAsLayer, mergeLayers, type AnyListField } from './merge';
import type { Change, Layer, RemoveSpec } from './schema';

const ALL_LIST_FIELDS: readonly AnyListField[] = [...LIST_FIELDS, ...OBJECT_LIST_FIELDS];

/**
 * A rollout's change written into a host's own layer, so that the host's groups still layer
 * under it. The layer's entries take the change as one more layer would; the layer's own
 * `remove` keeps what it had, minus what the change adds back, plus the change's removals of
 * entries that come from a group (a removal of the host's own entry needs no record).
 */
export function applyChangeToLayer(layer: Layer, change: Change, inherited: readonly Layer[]): Layer {
  const { remove: ownRemove, ...own } = layer;
  const entries = mergeLayers([
    { source: 'host', document: own },
    { source: 'change', document: changeAsLayer(change) },
  ]).document;
  const remove: Record<string, unknown[]> = {};
  for (const field of ALL_LIST_FIELDS) {
    const key = ENTRY_KEYS[field] as (e: unknown) => string;
    const added = new Set(((change.add?.[field as keyof typeof change.add] as unknown[] | undefined) ?? []).map(key));
    const kept = ((ownRemove?.[field as keyof RemoveSpec] as unknown[] | undefined) ?? []).filter((r) => !added.has(key(r)));
    const inheritedKeys = new Set(inherited.flatMap((l) => ((l[field] as unknown[] | null | undefined) ?? []).map(key)));
    const fromGroups = ((change.remove?.[field as keyof RemoveSpec] as unknown[] | undefined) ?? []).filter((r) => inheritedKeys.has(key(r)));
    const seen = new Set<string>();
    const all = [...kept, ...fromGroups].filter((r) => !seen.has(key(r)) && seen.add(key(r)));
    if (all.length) remove[field] = all;
  }
  return Object.keys(remove).length ? { ...entries, remove: remove as RemoveSpec } : entries;
}

/**
 * The fields whose file on the host the change would take over without knowing it: a
 * one-file list it adds to that the effective document does not manage (the host's file would
 * be replaced by the change's entries), and a control file it sets that the document does not
 * manage but that exists on the host (`reported`: the hashes the agent sent). Aliases are a
 * file each, so adding one never replaces others.
 */
export function fieldsTakenOver(effective: HostDocument, change: Change, reported: Record<string, string> = {}): string[] {
  const lists = ALL_LIST_FIELDS.filter((f) => f !== 'aliases' && change.add?.[f as keyof typeof change.add] !== undefined && effective[f] === undefined);
  const files = [...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS].filter((f) => change.set?.[f] !== undefined && effective[f] === undefined && `control/${f}` in reported);
  return [...lists, ...files];
}

/**
 * What a revert to `restored` must still say so that the host gets back what it had: a field
 * the rollout started managing goes back to its state before, which by `fieldsTakenOver` was
 * "no file" (`null`), and aliases to "none of qfleet's" (`[]`: the agent removes only files it wrote).
 */
export function unmanageAgain(restored: HostDocument, current: HostDocument): Partial<HostDocument> {
  const out: Record<string, unknown> = {};
  for (const f of SCALAR_FIELDS) if (f !== 'openRelay' && current[f] !== undefined && restored[f] === undefined) out[f] = null;
  if (current.aliases !== undefined && restored.aliases === undefined) out['aliases'] = [];
  return out as Partial<HostDocument>;
}
