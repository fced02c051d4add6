import { LIST_FIELDS, type HostDocument } from '@qfleet/protocol';
import { ENTRY_KEYS, OBJECT_LIST_FIELDS, changeAsLayer, mergeLayers, type AnyListField } from './merge';
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
 * The one-file list fields that the change adds to but the effective document does not
 * manage: adding to them would replace the whole file on the host with the change's entries.
 * Aliases are a file each, so adding one never replaces others.
 */
export function fieldsTakenOver(effective: HostDocument, change: Change): AnyListField[] {
  return ALL_LIST_FIELDS.filter((f) => f !== 'aliases' && change.add?.[f as keyof typeof change.add] !== undefined && effective[f] === undefined);
}
