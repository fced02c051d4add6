import { postStepsFor, sha256, type RenderedSet } from '@qfleet/qmail';
import type { PostStep } from '@qfleet/protocol';

/** What a revision renders to, as stored with it (HostConfig.rendered). */
export interface StoredRendering extends RenderedSet {
  postSteps: PostStep[];
  /**
   * Alias files an earlier revision wrote that stay on disk while `aliases` is unmanaged (the
   * Contract leaves them); remembered so that managing aliases again removes the ones the new
   * list does not name, instead of leaving a `|program` line nothing shows (issue 10, hole 11).
   */
  unmanagedAliases?: string[];
}

export const EMPTY_RENDERING: StoredRendering = { files: [], removes: [], postSteps: [] };

/** The paths whose bytes differ between two renderings, and the files newly removed. */
export function changedPaths(before: RenderedSet, after: RenderedSet): { written: string[]; removed: string[] } {
  const old = new Map(before.files.map((f) => [f.path, f]));
  const written = after.files.filter((f) => {
    const o = old.get(f.path);
    return !o || o.content !== f.content || o.mode !== f.mode;
  });
  return { written: written.map((f) => f.path), removed: after.removes.filter((p) => !before.removes.includes(p)) };
}

export function withPostSteps(previous: RenderedSet, next: RenderedSet): StoredRendering {
  const { written, removed } = changedPaths(previous, next);
  return { ...next, postSteps: postStepsFor(written, removed) };
}

/** Managed files whose reported hash differs from the rendering: drift (DESIGN.md step 5). */
export function driftedPaths(rendering: RenderedSet, reported: Record<string, string>): string[] {
  const drift = rendering.files.filter((f) => reported[f.path] !== sha256(f.content)).map((f) => f.path);
  return [...drift, ...rendering.removes.filter((p) => p in reported)];
}

const isAliasPath = (p: string) => p.startsWith('alias/');

/**
 * Contract: `removes` holds the alias files that a managed `aliases` list no longer names.
 * They are carried from revision to revision, so a host that skipped revisions while offline
 * still loses a file that an unapplied revision dropped. With `aliases` absent (unmanaged)
 * nothing under alias/ is removed, but the files written so far are remembered
 * (`unmanagedAliases`), and a revision that manages aliases again removes those it does not name.
 */
export function withDroppedAliases(
  previous: RenderedSet & Pick<StoredRendering, 'unmanagedAliases'>,
  next: RenderedSet,
  aliasesManaged: boolean,
): RenderedSet & Pick<StoredRendering, 'unmanagedAliases'> {
  const known = [...previous.files.map((f) => f.path), ...previous.removes, ...(previous.unmanagedAliases ?? [])].filter(isAliasPath);
  if (!aliasesManaged) {
    const left = [...new Set(known)].sort();
    return left.length ? { ...next, unmanagedAliases: left } : next;
  }
  const kept = new Set(next.files.map((f) => f.path));
  const dropped = known.filter((p) => !kept.has(p));
  return { ...next, removes: [...new Set([...next.removes, ...dropped])].sort() };
}
