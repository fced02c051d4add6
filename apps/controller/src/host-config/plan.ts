import { postStepsFor, sha256, type RenderedSet } from '@qfleet/qmail';
import type { PlannedChange, PostStep } from '@qfleet/protocol';
import { boundedPatch } from './bounded-diff';
import type { RenderMemo } from './render-memo';


export interface Plan {
  changes: PlannedChange[];
  postSteps: PostStep[];
}

/**
 * The file-level diff the next apply would make. The host's bytes are known by hash only;
 * where a hash matches a rendering the controller kept, that rendering gives the old text.
 */
export function planApply(next: RenderedSet, reported: Record<string, string>, known: RenderedSet[], memo?: RenderMemo): Plan {
  const byHash = new Map<string, string>();
  for (const r of known) for (const f of r.files) byHash.set(`${f.path}\0${sha256(f.content)}`, f.content);
  const changes: PlannedChange[] = [];
  for (const f of next.files) {
    const onHost = reported[f.path];
    if (onHost === sha256(f.content)) continue;
    const oldText = onHost === undefined ? '' : byHash.get(`${f.path}\0${onHost}`);
    changes.push({
      path: f.path,
      action: onHost === undefined ? 'create' : 'modify',
      // Hosts that had the same file and get the same one share the diff (a dry run over a group).
      diff: oldText === undefined ? undefined : memoised(memo, `${f.path}\0${onHost ?? ''}\0${sha256(f.content)}`, () => boundedPatch(`a/${f.path}`, `b/${f.path}`, oldText, f.content, 3)),
    });
  }
  for (const p of next.removes) if (p in reported) changes.push({ path: p, action: 'remove' });
  return {
    changes,
    postSteps: postStepsFor(
      changes.filter((c) => c.action !== 'remove').map((c) => c.path),
      changes.filter((c) => c.action === 'remove').map((c) => c.path),
    ),
  };
}

function memoised(memo: RenderMemo | undefined, key: string, make: () => string): string {
  return memo ? memo.text(`diff:${key}`, make) : make();
}
