import { postStepsFor, sha256, type RenderedSet } from '@qfleet/qmail';
import type { PostStep } from '@qfleet/protocol';

/** What a revision renders to, as stored with it (HostConfig.rendered). */
export interface StoredRendering extends RenderedSet {
  postSteps: PostStep[];
}

export const EMPTY_RENDERING: StoredRendering = { files: [], removes: [], postSteps: [] };

/** The paths whose bytes differ between two renderings, plus the files newly removed. */
export function changedPaths(before: RenderedSet, after: RenderedSet): string[] {
  const old = new Map(before.files.map((f) => [f.path, f]));
  const changed = after.files.filter((f) => {
    const o = old.get(f.path);
    return !o || o.content !== f.content || o.mode !== f.mode;
  });
  const removed = after.removes.filter((p) => !before.removes.includes(p));
  return [...changed.map((f) => f.path), ...removed];
}

export function withPostSteps(previous: RenderedSet, next: RenderedSet): StoredRendering {
  return { ...next, postSteps: postStepsFor(changedPaths(previous, next)) };
}

/** Managed files whose reported hash differs from the rendering: drift (DESIGN.md step 5). */
export function driftedPaths(rendering: RenderedSet, reported: Record<string, string>): string[] {
  const drift = rendering.files.filter((f) => reported[f.path] !== sha256(f.content)).map((f) => f.path);
  return [...drift, ...rendering.removes.filter((p) => p in reported)];
}
