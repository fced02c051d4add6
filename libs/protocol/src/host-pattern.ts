/**
 * Host-name patterns as shells and `qfleet --match` users write them: `*` any run of
 * characters, `?` one character, everything else literal, ASCII case-insensitive.
 *
 * Why not a glob library: a backtracking matcher took 51 s on `*?*?…*Z` against a 38-character
 * name (issue 10), and any viewer can send patterns. This one keeps only the last `*` to
 * return to: with `*` and `?` alone, a later star can always absorb what an earlier one would
 * have retried, so the leftmost match after each star is enough. Worst case O(name × pattern)
 * steps, at most 253 × 253 with the schema's limits; no recursion, no regular expression.
 * Imports nothing, so the dashboard and the CLI can take it.
 */
export function matchesHostPattern(name: string, pattern: string): boolean {
  const s = name.toLowerCase();
  const p = pattern.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (i < s.length) {
    if (j < p.length && p[j] === '*') {
      star = j++;
      resume = i;
    } else if (j < p.length && (p[j] === '?' || p[j] === s[i])) {
      i++;
      j++;
    } else if (star !== -1) {
      // The last star takes one more character; everything after it is matched afresh.
      j = star + 1;
      i = ++resume;
    } else return false;
  }
  while (j < p.length && p[j] === '*') j++;
  return j === p.length;
}
