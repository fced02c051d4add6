import { LIST_FIELDS, type HostDocument } from '@qfleet/protocol';
import { lowerAscii } from '../control';
import type { Layer, RemoveSpec } from './schema';

/**
 * A document as it is stored (DESIGN.md "Contract": domains stored lowercase): the entries
 * that qmail compares ASCII case-insensitively, and that rendering writes lowercase, are
 * lowercased, so that what the API answers is what the files say. The list fields, a
 * virtual domain's `match`, a route's `domain` and `relay`, an alias's `domain`, and the
 * same keys in `remove`. An assignment's address keeps its spelling: validation warns that
 * qmail lowercases it. Pure, and idempotent; the rendering is the same before and after.
 */
export function normaliseLayer<T extends Layer | HostDocument>(doc: T): T {
  const out: Record<string, unknown> = { ...doc };
  for (const f of LIST_FIELDS) {
    const v = doc[f];
    if (Array.isArray(v)) out[f] = v.map(lowerAscii);
  }
  if (Array.isArray(doc.virtualdomains)) out['virtualdomains'] = doc.virtualdomains.map((v) => ({ ...v, match: lowerAscii(v.match) }));
  if (Array.isArray(doc.smtproutes)) out['smtproutes'] = doc.smtproutes.map((r) => ({ ...r, domain: lowerAscii(r.domain), relay: lowerAscii(r.relay) }));
  if (Array.isArray(doc.aliases)) out['aliases'] = doc.aliases.map((a) => (a.domain === undefined ? a : { ...a, domain: lowerAscii(a.domain) }));
  const remove = (doc as Layer).remove;
  if (remove) out['remove'] = normaliseRemove(remove);
  return out as T;
}

function normaliseRemove(r: RemoveSpec): RemoveSpec {
  const out: Record<string, unknown> = { ...r };
  for (const f of LIST_FIELDS) {
    const v = r[f];
    if (v) out[f] = v.map(lowerAscii);
  }
  if (r.virtualdomains) out['virtualdomains'] = r.virtualdomains.map((v) => ({ ...v, match: lowerAscii(v.match) }));
  if (r.smtproutes) out['smtproutes'] = r.smtproutes.map((v) => ({ ...v, domain: lowerAscii(v.domain) }));
  if (r.aliases) out['aliases'] = r.aliases.map((a) => (a.domain === undefined ? a : { ...a, domain: lowerAscii(a.domain) }));
  return out as RemoveSpec;
}
