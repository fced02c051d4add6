import { createTwoFilesPatch } from 'diff';
import stringify from 'safe-stable-stringify';

/**
 * Myers' diff costs (lines) × (changed lines): replacing 10,000 locals with 10,000 others took
 * 213 s in one PUT, with every other request waiting (issue 10). Past this many changed lines a
 * diff is not read anyway, so the plan and the audit say how big the change is instead.
 */
export const MAX_DIFF_EDIT_LINES = 1000;

export function boundedPatch(oldName: string, newName: string, oldText: string, newText: string, context: number): string {
  const patch = createTwoFilesPatch(oldName, newName, oldText, newText, '', '', { context, maxEditLength: MAX_DIFF_EDIT_LINES });
  if (patch !== undefined) return patch;
  const lines = (s: string) => s.split('\n').length - (s.endsWith('\n') ? 1 : 0);
  return `--- ${oldName}\n+++ ${newName}\n# more than ${MAX_DIFF_EDIT_LINES} lines changed (${lines(oldText)} lines before, ${lines(newText)} after): too large to show\n`;
}

/**
 * The audit's diff of two documents, keys sorted: a document read back from the database (jsonb
 * orders keys its own way) and the same document as written must diff to nothing.
 */
export function documentDiff(before: unknown, after: unknown): string {
  return boundedPatch('before', 'after', stableJson(before ?? {}) + '\n', stableJson(after ?? {}) + '\n', 2);
}

function stableJson(value: unknown): string {
  return stringify(value, null, 2) ?? '';
}
