import { compareHostFile, FILE_MODE, postStepsFor, sha256, type RenderedSet } from '@qfleet/qmail';
import type { HostDocument, PostStep } from '@qfleet/protocol';

/** What a revision renders to, as stored with it (HostConfig.rendered). */
export interface StoredRendering extends RenderedSet {
  postSteps: PostStep[];
  /**
   * Alias files an earlier revision wrote that stay on disk while `aliases` is unmanaged (the
   * Contract leaves them); remembered so that managing aliases again removes the ones the new
   * list does not name, instead of leaving a `|program` line nothing shows (issue 10, hole 11).
   */
  unmanagedAliases?: string[];
  /**
   * Files whose content here is the host's own spelling (comments, case, `&`-less forwards) of
   * what qfleet would write, because it means the same to qmail (issue 12): path → sha256 of the
   * rendered content it stands for. Carried to the next revision while the field renders the
   * same, so an import or an adopt changes no byte on the host until the operator changes that field.
   */
  kept?: Record<string, string>;
  /** sent even over drift: an operator decided to overwrite it (a rollout with overwriteDrift, an adopt) */
  overwriteDrift?: boolean;
}

export const EMPTY_RENDERING: StoredRendering = { files: [], removes: [], postSteps: [] };

const hashesByRendering = new WeakMap<RenderedSet, Map<string, string>>();

/**
 * Each file's sha256 by path, computed once per rendering object: the hosts of a bulk send
 * share their rendering (read once per distinct content), and hashing every file again for
 * each host's held check and ack was a sha256 per file per host. Renderings are never mutated.
 */
export function fileHashes(rendering: RenderedSet): Map<string, string> {
  let hashes = hashesByRendering.get(rendering);
  if (!hashes) {
    hashes = new Map(rendering.files.map((f) => [f.path, sha256(f.content)]));
    hashesByRendering.set(rendering, hashes);
  }
  return hashes;
}

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

/**
 * Keeps the host's bytes of each rendered file that means the same to qmail: from `hostFiles`
 * (an import or an adopt just read them), else carried from the previous revision while the
 * field renders to the same content. Returns the rendering with those contents, and `kept`.
 */
export function withKept(
  before: Pick<StoredRendering, 'files' | 'kept'>,
  next: RenderedSet & Pick<StoredRendering, 'unmanagedAliases'>,
  effective: HostDocument,
  hostFiles?: Record<string, string>,
): RenderedSet & Pick<StoredRendering, 'unmanagedAliases' | 'kept'> {
  const previous = new Map(before.files.map((f) => [f.path, f]));
  const renderedContent = new Map(next.files.map((f) => [f.path, f.content]));
  const kept: Record<string, string> = {};
  const files = next.files.map((f) => {
    const hash = sha256(f.content);
    const onHost = hostFiles?.[f.path];
    if (onHost !== undefined) {
      if (onHost === f.content) return f;
      const same = compareHostFile(f.path, onHost, f.content, { doc: effective, hostFile: (p) => hostFiles?.[p], renderedFile: (p) => renderedContent.get(p) });
      if (same.same !== 'meaning') return f;
      kept[f.path] = hash;
      return { ...f, content: onHost };
    }
    const old = previous.get(f.path);
    if (!old || before.kept?.[f.path] !== hash || old.mode !== f.mode) return f;
    kept[f.path] = hash;
    return { ...f, content: old.content };
  });
  if (!Object.keys(kept).length) return next;
  return { ...next, files, kept };
}

/** `hostFiles` as a rendering: what is on the host now, for the post-steps an import's revision needs. */
export function hostFilesAsRendering(hostFiles: Record<string, string>, removes: string[]): RenderedSet {
  return { files: Object.entries(hostFiles).map(([path, content]) => ({ path, content, mode: FILE_MODE })), removes };
}

/**
 * The drifted files (edited on the host since `applied`) that sending `next` would overwrite:
 * the agent writes every managed file that differs from disk, so a drifted file in `next`
 * whose content is not what the host has now would lose the edit (issue 12, point 5).
 */
export function heldPaths(applied: RenderedSet | null, next: RenderedSet, reported: Record<string, string>): string[] {
  if (!applied) return [];
  const drifted = new Set(driftedPaths(applied, reported));
  if (!drifted.size) return [];
  const hashes = fileHashes(next);
  const written = next.files.filter((f) => drifted.has(f.path) && reported[f.path] !== hashes.get(f.path)).map((f) => f.path);
  const removed = next.removes.filter((p) => drifted.has(p) && p in reported);
  return [...written, ...removed];
}

/** Why a host is held, for a rollout row and the log. */
export function heldReason(paths: string[]): string {
  return `drift on ${paths.join(', ')}: adopt or revert first (or roll out with overwriteDrift)`;
}

/** Managed files whose reported hash differs from the rendering: drift (DESIGN.md step 5). */
export function driftedPaths(rendering: RenderedSet, reported: Record<string, string>): string[] {
  const hashes = fileHashes(rendering);
  const drift = rendering.files.filter((f) => reported[f.path] !== hashes.get(f.path)).map((f) => f.path);
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
