import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { FieldProblem, HostDocument } from '@qfleet/protocol';
import { renderDocument, validateDocument, type RenderedSet } from '@qfleet/qmail';

/** A document's identity whatever the order of its keys: hosts merged from the same layers share it. */
export function documentKey(doc: unknown): string {
  return createHash('sha256')
    .update(stringify(doc ?? {}) ?? '')
    .digest('base64url');
}

export interface CheckedDocument {
  errors: FieldProblem[];
  warnings: FieldProblem[];
  /** null when the document has errors: nothing is rendered from an invalid document */
  rendered: RenderedSet | null;
}

/**
 * One validation and one rendering per distinct effective document within one operation (a
 * group change, a rollout batch, a dry run): the members of a group mostly share their
 * effective document, and rendering it a thousand times was most of the CPU such an operation
 * spent outside the database. Both are pure functions of the document, so sharing is exact.
 * The results are shared objects: callers copy, never mutate.
 */
export class RenderMemo {
  private readonly checked = new Map<string, CheckedDocument>();
  private readonly texts = new Map<string, string>();

  check(effective: HostDocument): CheckedDocument {
    const key = documentKey(effective);
    let hit = this.checked.get(key);
    if (!hit) {
      const { errors, warnings } = validateDocument(effective);
      hit = { errors, warnings, rendered: errors.length ? null : renderDocument(effective) };
      this.checked.set(key, hit);
    }
    return hit;
  }

  private readonly diffs = new WeakMap<object, WeakMap<object, string>>();
  private readonly noDocument = {};

  /**
   * A diff between two documents computed once per pair of objects: within a bulk operation
   * the hosts of the same content share their document objects (HostConfigService.batch and
   * its shared previews), so this needs no key built from the documents' text.
   */
  diff(before: unknown, after: object, make: () => string): string {
    const from = before !== null && typeof before === 'object' ? before : this.noDocument;
    let byAfter = this.diffs.get(from);
    if (!byAfter) this.diffs.set(from, (byAfter = new WeakMap()));
    let hit = byAfter.get(after);
    if (hit === undefined) {
      hit = make();
      byAfter.set(after, hit);
    }
    return hit;
  }

  /** A derived text (a diff) computed once per key within the operation. */
  text(key: string, make: () => string): string {
    let hit = this.texts.get(key);
    if (hit === undefined) {
      hit = make();
      this.texts.set(key, hit);
    }
    return hit;
  }
}
