import type { z } from 'zod';

/** A problem with one field, named by its path in the payload: `aliases[2].destinations[0].value`. */
export interface FieldProblem {
  path: string;
  message: string;
}

export function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * One problem per refused value. zod reports the unknown keys of an object as one issue on the
 * object; each key is named here by its own path (`aliases[2].colour`, `pageSize2`), so a form
 * shows it beside the element that holds it and a script can match it like any other field.
 */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: issuePath([...i.path, key]), message: UNKNOWN_FIELD }))
      : [{ path: issuePath(i.path), message: i.message }],
  );
}

export const UNKNOWN_FIELD = 'unknown field';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Validates a payload that arrived from the other end; never throws. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown): Parsed<T> {
  const r = schema.safeParse(payload);
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: fieldProblems(r.error) };
}

export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}

export type ParsedFields<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[]; rest: T | null };

/**
 * Parses an object payload field by field: when fields are refused, `rest` is the payload
 * without them (parsed), so the checks that come after the schema can run on what is valid
 * and every problem is reported in one answer, not one stage at a time. `rest` is null when
 * the payload is not an object, or what remains still fails (it never should).
 */
export function parseFields<T>(schema: z.ZodType<T>, payload: unknown): ParsedFields<T> {
  const r = schema.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  const problems = fieldProblems(r.error);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, problems, rest: null };
  const refused = new Set<string>();
  for (const issue of r.error.issues) {
    if (issue.path.length) refused.add(String(issue.path[0]));
    else if (issue.code === 'unrecognized_keys') issue.keys.forEach((k) => refused.add(k));
    else return { ok: false, problems, rest: null };
  }
  const remaining = Object.fromEntries(Object.entries(payload).filter(([k]) => !refused.has(k)));
  const again = schema.safeParse(remaining);
  return { ok: false, problems, rest: again.success ? again.data : null };
}
