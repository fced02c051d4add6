import { sha256, type RenderedSet } from '@qfleet/qmail';
import { planApply } from './plan';
import { MAX_DIFF_EDIT_LINES } from './bounded-diff';

const rendered = (content: string): RenderedSet => ({ files: [{ path: 'control/locals', content, mode: 0o644 }], removes: [] });
const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}.example\n`).join('');

describe('planApply diffs', () => {
  it('shows the unified diff of a file whose old bytes the controller knows', () => {
    const old = lines(20, 'a');
    const next = old.replace('a7.example\n', 'b7.example\n');
    const [change] = planApply(rendered(next), { 'control/locals': sha256(old) }, [rendered(old)]).changes;
    expect(change).toMatchObject({ path: 'control/locals', action: 'modify' });
    expect(change?.diff).toContain('-a7.example\n+b7.example\n');
  });

  // Issue 10 #7: Myers' diff of 10,000 lines against 10,000 others took 213 s in one PUT (every
  // request waited); before the bound this produced the full diff, minutes later.
  it('says how big the change is instead of diffing more than the bound', () => {
    const old = lines(10_000, 'a');
    const [change] = planApply(rendered(lines(10_000, 'b')), { 'control/locals': sha256(old) }, [rendered(old)]).changes;
    expect(change?.diff).toBe(`--- a/control/locals\n+++ b/control/locals\n# more than ${MAX_DIFF_EDIT_LINES} lines changed (10000 lines before, 10000 after): too large to show\n`);
  });
});
