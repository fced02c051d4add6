import type { Parsed } from './validation';

/**
 * Optimistic concurrency for the config writes (`PUT`/`PATCH /api/hosts/:id/config` and
 * `/api/groups/:name/config`): the editor sends the revision it started from as
 * `If-Match: "<revision>"` (the entity tag `GET …/config` answers in `ETag`), and the write is
 * refused with 412 when the revision moved, instead of silently replacing what another
 * operator saved in between. Without the header a write replaces whatever is there (scripts).
 */
export const IF_MATCH = 'If-Match';

/** The entity tag of a document revision: a strong tag, the revision in quotes. */
export function revisionTag(revision: number): string {
  return `"${revision}"`;
}

/** What an `If-Match` header asks: any current revision (`*`), or one of these. */
export type RevisionPrecondition = { any: true } | { any: false; revisions: number[] };

const TAG = /^(?:W\/)?"(0|[1-9]\d{0,9})"$/;

/**
 * Reads an `If-Match` header: `*`, or a comma-separated list of `"<revision>"`. A weak tag
 * (`W/"5"`) is read as its revision: a revision names one stored document, weak or not.
 * Absent or empty: undefined (no precondition). Anything else is refused, named `If-Match`.
 */
export function parseIfMatch(header: string | string[] | undefined): Parsed<RevisionPrecondition | undefined> {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim();
  if (!value) return { ok: true, value: undefined };
  if (value === '*') return { ok: true, value: { any: true } };
  const revisions: number[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = TAG.exec(part);
    if (!m) return { ok: false, problems: [{ path: IF_MATCH, message: `must be the revision the change starts from in quotes ("12", as GET …/config answers in ETag) or *, not ${JSON.stringify(part).slice(0, 80)}` }] };
    revisions.push(Number(m[1]));
  }
  return { ok: true, value: { any: false, revisions } };
}

export function preconditionHolds(pre: RevisionPrecondition | undefined, current: number): boolean {
  return !pre || pre.any || pre.revisions.includes(current);
}

/** Who made the revision a refused write did not start from (the 412 body's `current`). */
export interface CurrentRevision {
  revision: number;
  /** the actor who stored it (`alice (operator)`), null when not recorded */
  by: string | null;
  at: string | null;
}

export function staleMessage(what: string, pre: RevisionPrecondition & { any: false }, current: CurrentRevision): string {
  const asked = pre.revisions.join(' or ');
  return `${what} changed since revision ${asked}: it is at revision ${current.revision}${current.by ? `, saved by ${current.by}` : ''}${current.at ? ` at ${current.at}` : ''}; reload it and make the change again`;
}
