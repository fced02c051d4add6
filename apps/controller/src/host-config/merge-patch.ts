/**
 * RFC 7386 JSON merge patch. Note the one place it meets our document semantics: a `null`
 * in a merge patch deletes the member (the field becomes unmanaged); to say "managed and
 * removed" use PUT with the field set to null.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
