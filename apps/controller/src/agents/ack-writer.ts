import { Injectable, Logger } from '@nestjs/common';
import type { ApplyAck } from '@qfleet/protocol';
import type { RenderedSet } from '@qfleet/qmail';
import { fileHashes } from '../host-config/rendered';
import { PrismaService } from '../database/prisma.service';
import { hostsLockedInOrder, RECORDSET_IDS } from '../database/host-lock-order';
import { SharedValues } from '../database/shared-values';

/** Acks gathered for this long (or this many) go to the database in one statement. */
const FLUSH_MS = 50;
const FLUSH_AT = 200;
/** How long an ack is tried again while the database cannot store it. */
export const ACK_STORE_RETRY_MS = 60_000;

interface Pending {
  hostId: string;
  ack: ApplyAck;
  /** what the apply was sent: on an ok ack its files are on the host as sent, its removes gone */
  sent?: RenderedSet;
  at: string;
  deadline: number;
  done: () => void;
  failed: (e: unknown) => void;
}

/**
 * The hashes an ok apply put on the host: every file sent is on disk as sent, every removed
 * one gone. Merged into the host's reported hashes with the ack, so drift is right as soon as
 * the applied revision moves, not only after the agent's next report (which may be written
 * later: reports and acks are batched apart).
 */
function wroteFiles(sent: RenderedSet): { files: Record<string, string>; removes: string[] } {
  return { files: Object.fromEntries(fileHashes(sent)), removes: sent.removes };
}

/**
 * Writes apply acknowledgements to the hosts' rows in batches: a rollout to 1,000 hosts gets
 * 1,000 acks within a second, and one UPDATE per ack was a database round trip each. A caller
 * waits for the write that holds its ack, so nothing reads a host's applied revision before it
 * is stored (the dispatcher's next send to the host depends on it).
 *
 * An ack is sent once, and a failed revision is known only from it (reports carry the applied
 * revision, not the failed one): while the database is away (a PostgreSQL restart) a batch is
 * tried again, up to ACK_STORE_RETRY_MS per ack, before its callers hear the error.
 */
@Injectable()
export class AckWriter {
  private readonly logger = new Logger('apply');
  private pending: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private writing = false;
  private failures = 0;
  /** Per host, how many acks it has sent (ReportWriter: a report that came before an ack is older than it). */
  private readonly ackCount = new Map<string, number>();
  /** Per host, settles once its ack being written or waiting is stored or given up on. */
  private readonly unsettled = new Map<string, Promise<void>>();
  /** Per host, the revision its last ok ack applied and the rendering it was sent (shared by the hosts of a bulk send). */
  private readonly lastApplied = new Map<string, { revision: number; sent: RenderedSet }>();

  constructor(private readonly prisma: PrismaService) {}

  record(hostId: string, ack: ApplyAck, sent?: RenderedSet): Promise<void> {
    this.ackCount.set(hostId, this.acksOf(hostId) + 1);
    if (ack.ok && sent) this.lastApplied.set(hostId, { revision: ack.revision, sent });
    const written = new Promise<void>((done, failed) => {
      this.pending.push({ hostId, ack, sent, at: new Date().toISOString(), deadline: Date.now() + ACK_STORE_RETRY_MS, done, failed });
      this.schedule();
    });
    const settled = written.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.set(hostId, settled);
    void settled.then(() => {
      if (this.unsettled.get(hostId) === settled) this.unsettled.delete(hostId);
    });
    return written;
  }

  /**
   * Resolves once no ack of these hosts waits to be written: a report written after this
   * cannot show an applied revision whose lastApply is not stored yet.
   */
  async settled(hostIds: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of hostIds) {
      const w = this.unsettled.get(id);
      if (w) waits.push(w);
    }
    if (waits.length) await Promise.all(waits);
  }

  /** How many acks of this host arrived so far: a report taken before a later ack must not undo what that ack stored. */
  acksOf(hostId: string): number {
    return this.ackCount.get(hostId) ?? 0;
  }

  /**
   * The rendering of `revision` on this host, when its last ok ack here applied that revision:
   * a revision's rendering never changes, so the report that follows an apply needs no read
   * of it to count drift (DriftCounter).
   */
  appliedRendering(hostId: string, revision: number): RenderedSet | undefined {
    const a = this.lastApplied.get(hostId);
    return a?.revision === revision ? a.sent : undefined;
  }

  /** Acks waiting or being written (the write queue's depth in /metrics). */
  get queued(): number {
    return this.unsettled.size;
  }

  private schedule(delayMs = FLUSH_MS): void {
    if (this.writing) return; // the write in progress schedules the next
    if (this.pending.length >= FLUSH_AT && !this.failures) return void this.flush();
    this.timer ??= setTimeout(() => void this.flush(), delayMs);
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    this.writing = true;
    // One apply is in flight per host, so a batch names a host once; were it twice, the last wins.
    const byHost = new Map(batch.map((p) => [p.hostId, p]));
    // The distinct renderings of the batch's ok acks (hosts of a bulk send share theirs), written once each.
    const wrote = new SharedValues<ReturnType<typeof wroteFiles>>();
    const rows = [...byHost.values()].map(({ hostId, ack, sent, at }) => ({
      id: hostId,
      ok: ack.ok,
      revision: ack.revision,
      lastApply: { ...ack, at },
      k: ack.ok && sent ? wrote.indexOf([sent], () => wroteFiles(sent)) : null,
    }));
    let retryIn = FLUSH_MS;
    try {
      await this.prisma.$executeRawUnsafe(
        `UPDATE "Host" AS h SET
           "appliedRevision" = CASE WHEN x.ok THEN x.revision ELSE h."appliedRevision" END,
           "failedRevision" = CASE WHEN x.ok THEN NULL ELSE x.revision END,
           "lastApply" = x."lastApply",
           "reportedFiles" = CASE WHEN x.ok AND w.value IS NOT NULL
             THEN (CASE WHEN jsonb_typeof(h."reportedFiles") = 'object' THEN h."reportedFiles" ELSE '{}'::jsonb END
                   - ARRAY(SELECT jsonb_array_elements_text(w.value->'removes'))) || (w.value->'files')
             ELSE h."reportedFiles" END,
           -- what was sent is the whole rendering: after an ok apply no managed file differs from it
           "drifted" = CASE WHEN x.ok AND w.value IS NOT NULL THEN 0 ELSE h."drifted" END,
           -- the agent answered: seen now (after an ok apply it sends no report unless it has more to say)
           "lastSeen" = GREATEST(h."lastSeen", (x."lastApply"->>'at')::timestamp(3)),
           "updatedAt" = (now() AT TIME ZONE 'UTC')
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, ok boolean, revision int, "lastApply" jsonb, k int)
         LEFT JOIN jsonb_array_elements($2::jsonb) WITH ORDINALITY AS w(value, i) ON w.i = x.k + 1
         WHERE h."id" = x.id AND h."id" IN ${hostsLockedInOrder(RECORDSET_IDS)}`,
        JSON.stringify(rows),
        JSON.stringify(wrote.list),
      );
      if (this.failures) this.logger.log(`acknowledgements are stored again after ${this.failures} failed attempt(s)`);
      this.failures = 0;
      for (const p of batch) p.done();
    } catch (e) {
      this.failures++;
      const now = Date.now();
      const again = batch.filter((p) => p.deadline > now);
      for (const p of batch) if (p.deadline <= now) p.failed(e);
      // Older first, so a host's newer ack (were there one) still wins in the next batch.
      this.pending = [...again, ...this.pending];
      retryIn = Math.min(250 * this.failures, 2000);
      this.logger.warn(
        `cannot store ${batch.length} acknowledgement(s) (attempt ${this.failures}): ${(e as Error).message.split('\n').at(-1)}; ${again.length ? `trying again in ${retryIn} ms` : 'given up'}`,
      );
    } finally {
      this.writing = false;
      if (this.pending.length) this.schedule(retryIn);
    }
  }
}
