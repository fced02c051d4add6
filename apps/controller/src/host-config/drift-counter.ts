import { sha256, type RenderedSet } from '@qfleet/qmail';
import type { PrismaService } from '../database/prisma.service';

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
    for (let i = 0; i < misses.length; i += 1000) {
      const chunk = misses.slice(i, i + 1000);
      // A join on the list, not Prisma's 1,000-way OR: after a rollout every reporting host misses
      // at once, and building and planning that OR was the cost the rollout profile showed.
      const rows = await this.prisma.$queryRawUnsafe<{ hostId: string; revision: number; rendered: unknown }[]>(
        `SELECT c."hostId", c."revision", c."rendered"
           FROM "HostConfig" c
           JOIN jsonb_to_recordset($1::jsonb) AS x(id text, revision int) ON c."hostId" = x.id AND c."revision" = x.revision`,
        JSON.stringify(chunk.map((r) => ({ id: r.id, revision: r.appliedRevision }))),
      );
      for (const row of rows) this.applied.set(row.hostId, hashesOf(row.revision, row.rendered as unknown as RenderedSet));
    }
    const out = new Map<string, number>();
    for (const r of reports) {
      const a = this.applied.get(r.id);
      out.set(r.id, a && a.revision === r.appliedRevision ? driftCount(a, r.files) : 0);
    }
    return out;
  }
}
