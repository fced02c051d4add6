import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Every entry under some directories with its kind, mode and a hash of its content (a link's
 * target for a link): two digests are equal when nothing on disk changed, and the difference
 * names what did. Links are not followed, FIFOs and sockets are not read (a read would block).
 */
export function digestTrees(roots: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (label: string, root: string, dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      const key = `${label}:${path.relative(root, p)}`;
      const st = fs.lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (e.isSymbolicLink()) out[key] = `link ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[key] = `dir ${mode} ${st.uid}`;
        walk(label, root, p);
      } else if (e.isFile()) out[key] = `file ${mode} ${st.uid} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
      else out[key] = 'special';
    }
  };
  for (const [label, root] of Object.entries(roots)) walk(label, root, root);
  return out;
}

/** The entries that differ between two digests, for a failure message that names them. */
export function digestDifference(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k] ?? '(absent)'} → ${after[k] ?? '(absent)'}`);
}
