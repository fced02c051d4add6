import fc from 'fast-check';
import { matchesHostPattern } from './host-pattern';
import { FleetTargetSchema } from './rollouts';
import { fieldProblems } from './validation';

/** What `*` and `?` mean, written the obvious way; fine on the short inputs a property makes. */
function reference(name: string, pattern: string): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '[^]*' : c === '?' ? '[^]' : c.replace(/[.\\^$+()[\]{}|-]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'i').test(name);
}

describe('matchesHostPattern', () => {
  it('matches * and ? in any case, and literals exactly', () => {
    expect(matchesHostPattern('mx1.eu.example.net', 'mx*.eu.example.net')).toBe(true);
    expect(matchesHostPattern('MX1.EU.example.net', 'mx?.eu.*')).toBe(true);
    expect(matchesHostPattern('mx12.eu.example.net', 'mx?.eu.*')).toBe(false);
    expect(matchesHostPattern('mx1.eu.example.net', 'mx1.eu.example.net')).toBe(true);
    expect(matchesHostPattern('mx1xeu.example.net', 'mx1.eu.example.net')).toBe(false);
    expect(matchesHostPattern('a', '*')).toBe(true);
    expect(matchesHostPattern('', '*')).toBe(true);
    expect(matchesHostPattern('ab', '*b*')).toBe(true);
    expect(matchesHostPattern('abc', '*b')).toBe(false);
  });

  // Issue 10: this pattern held a backtracking glob matcher (minimatch) for 51 s against a
  // 38-character name and stalled the controller; before the fix this test did not finish.
  it('answers the hostile patterns at once', () => {
    expect(matchesHostPattern('a'.repeat(38), `${'*?'.repeat(13)}*Z`)).toBe(false);
    expect(matchesHostPattern(`${'a.'.repeat(126)}b`, `${'*?'.repeat(126)}Z`)).toBe(false);
    expect(matchesHostPattern(`${'a'.repeat(252)}z`, `${'*a'.repeat(126)}Z`)).toBe(true);
  });

  it('agrees with a regular expression on short names and patterns', () => {
    const alphabet = fc.constantFrom('a', 'b', 'A', '.', '-', '_', '1');
    const name = fc.string({ unit: alphabet, maxLength: 12 });
    const pattern = fc.string({ unit: fc.oneof(alphabet, fc.constant('*'), fc.constant('?')), maxLength: 8 });
    fc.assert(fc.property(name, pattern, (n, p) => matchesHostPattern(n, p) === reference(n, p)), { numRuns: 2000 });
  });

  it('finds a name in any pattern made from it by wildcards', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9.-]{1,40}$/), fc.array(fc.boolean(), { maxLength: 40 }), (n, holes) => {
        const p = [...n].map((c, i) => (holes[i] === undefined ? c : holes[i] ? '?' : '*')).join('');
        return matchesHostPattern(n.toUpperCase(), p);
      }),
    );
  });
});

describe('FleetTargetSchema names', () => {
  const problems = (target: unknown) => {
    const r = FleetTargetSchema.safeParse(target);
    return r.success ? [] : fieldProblems(r.error);
  };

  it('refuses too many, too long or foreign patterns by their path', () => {
    expect(problems({ names: Array.from({ length: 101 }, () => 'mx*') })).toEqual([expect.objectContaining({ path: 'names' })]);
    expect(problems({ names: ['mx*', 'a'.repeat(254)] })).toEqual([expect.objectContaining({ path: 'names[1]' })]);
    expect(problems({ names: ['mx[1-3]'] })).toEqual([expect.objectContaining({ path: 'names[0]', message: expect.stringContaining('host name pattern') })]);
    expect(problems({ names: ['*?'.repeat(126)] })).toEqual([]);
  });
});
