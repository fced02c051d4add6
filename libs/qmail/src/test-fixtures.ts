import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A qmail home under src/fixtures (`lwq`, a hand-written Life with qmail server; `vpopmail`)
 * as the agent sends it for import: path relative to the home → content. For specs only.
 */
export function readFixtureTree(name: 'lwq' | 'vpopmail'): Record<string, string> {
  const dir = join(__dirname, 'fixtures', name);
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}
