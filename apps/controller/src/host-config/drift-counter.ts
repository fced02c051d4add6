import { sha256, type RenderedSet } from '@qfleet/qmail';
import type { PrismaService } from '../database/prisma.service';
import { renderingsOf } from './applied-renderings';

/** The applied revision of a host as hashes: all that drift needs, without the file bytes. */
interface AppliedHashes {
  revision: number;
  files: [path: string, sha: string][];
  removes: string[];
}

/** Managed files whose reported hash differs from the rendering (rendered.ts driftedPaths, on hashes). */
export function driftCount(applied: Pick<AppliedHashes, 'files' | 'removes'>, reported: Record<string, string>): number {
  let n = 0;
  for (const [path, sha] of applied.files) if (reported[path] !== sha) n++;
  for (const p of applied.removes) if (p in reported) n++;
  return n;
}

export function hashesOf(revision: number, rendered: RenderedSet): AppliedHashes {
  return { revision, files: rendered.files.map((f) => [f.path, sha256(f.content)]), removes: rendered.removes };
}

/**
 * How many managed files of each reporting host drifted (Host.drifted, what the host list
 * filters and counts by). Every report would otherwise read the host's applied rendering: the
 * hashes of the one revision each host applied are kept, one entry per host, and a batch's
 * misses are read in one query.
 */
export class DriftCounter {
  private readonly applied = new Map<string, AppliedHashes>();

  constructor(private readonly prisma: PrismaService) {}

  async count(reports: { id: string; appliedRevision: number; files: Record<string, string> }[]): Promise<Map<string, number>> {
    const misses = reports.filter((r) => r.appliedRevision > 0 && this.applied.get(r.id)?.revision !== r.appliedRevision);
    // After a rollout every reporting host misses at once: one join per thousand, not an OR.
    const rows = await renderingsOf(this.prisma, misses.map((r) => ({ id: r.id, revision: r.appliedRevision })));
    for (const [hostId, row] of rows) this.applied.set(hostId, hashesOf(row.revision, row.rendered));
    const out = new Map<string, number>();
    for (const r of reports) {
      const a = this.applied.get(r.id);
      out.set(r.id, a && a.revision === r.appliedRevision ? driftCount(a, r.files) : 0);
    }
    return out;
  }
}
