import type { RenderedSet } from '@qfleet/qmail';
import type { PrismaService } from '../database/prisma.service';
import { renderingsOf } from './applied-renderings';
import { fileHashes } from './rendered';

/** The applied revision of a host as hashes: all that drift needs, without the file bytes. */
interface AppliedHashes {
  revision: number;
  /** each file's sha256 by path, shared by every host that applied the same rendering object */
  files: ReadonlyMap<string, string>;
  removes: readonly string[];
}

/** Managed files whose reported hash differs from the rendering (rendered.ts driftedPaths, on hashes). */
export function driftCount(applied: Pick<AppliedHashes, 'files' | 'removes'>, reported: Record<string, string>): number {
  let n = 0;
  for (const [path, sha] of applied.files) if (reported[path] !== sha) n++;
  for (const p of applied.removes) if (p in reported) n++;
  return n;
}

export function hashesOf(revision: number, rendered: RenderedSet): AppliedHashes {
  return { revision, files: fileHashes(rendered), removes: rendered.removes };
}

/** The rendering a host's ok acknowledgement of `revision` applied, when this process sent it (AckWriter.appliedRendering). */
export type KnownRendering = (hostId: string, revision: number) => RenderedSet | undefined;

/**
 * How many managed files of each reporting host drifted (Host.drifted, what the host list
 * filters and counts by). Every report would otherwise read the host's applied rendering: the
 * hashes of the one revision each host applied are kept, one entry per host. After a rollout
 * every host reports a revision not seen yet: the rendering this process sent it (`known`,
 * one shared object, hashed once for all its hosts) is used, and only the rest, after a
 * restart or for an apply another replica sent, is read, in one query per thousand.
 */
export class DriftCounter {
  private readonly applied = new Map<string, AppliedHashes>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly known: KnownRendering = () => undefined,
  ) {}

  async count(reports: { id: string; appliedRevision: number; files: Record<string, string> }[]): Promise<Map<string, number>> {
    const misses: { id: string; revision: number }[] = [];
    for (const r of reports) {
      if (r.appliedRevision <= 0 || this.applied.get(r.id)?.revision === r.appliedRevision) continue;
      const sent = this.known(r.id, r.appliedRevision);
      if (sent) this.applied.set(r.id, hashesOf(r.appliedRevision, sent));
      else misses.push({ id: r.id, revision: r.appliedRevision });
    }
    const rows = await renderingsOf(this.prisma, misses);
    for (const [hostId, row] of rows) this.applied.set(hostId, hashesOf(row.revision, row.rendered));
    const out = new Map<string, number>();
    for (const r of reports) {
      const a = this.applied.get(r.id);
      out.set(r.id, a && a.revision === r.appliedRevision ? driftCount(a, r.files) : 0);
    }
    return out;
  }
}
