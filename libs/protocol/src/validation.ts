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

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({
    path: issuePath(i.path),
    message: i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : i.message,
  }));
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Validates a payload that arrived from the other end; never throws. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown): Parsed<T> {
  const r = schema.safeParse(payload);
  return r.success ? { ok: true, value: r.data } : { ok: false, problems: fieldProblems(r.error) };
}

export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}
