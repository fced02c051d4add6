import type { ApplyAck } from '@qfleet/protocol';
import type { PrismaService } from '../database/prisma.service';

/** Acks gathered for this long (or this many) go to the database in one statement. */
const FLUSH_MS = 50;
const FLUSH_AT = 200;

interface Pending {
  hostId: string;
  ack: ApplyAck;
  at: string;
  done: () => void;
  failed: (e: unknown) => void;
}

/**
 * Writes apply acknowledgements to the hosts' rows in batches: a rollout to 1,000 hosts gets
 * 1,000 acks within a second, and one UPDATE per ack was a database round trip each. A caller
 * waits for the write that holds its ack, so nothing reads a host's applied revision before it
 * is stored (the dispatcher's next send to the host depends on it).
 */
export class AckWriter {
  private pending: Pending[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly prisma: PrismaService) {}

  record(hostId: string, ack: ApplyAck): Promise<void> {
    return new Promise((done, failed) => {
      this.pending.push({ hostId, ack, at: new Date().toISOString(), done, failed });
      if (this.pending.length >= FLUSH_AT) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
    });
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    // One apply is in flight per host, so a batch names a host once; were it twice, the last wins.
    const byHost = new Map(batch.map((p) => [p.hostId, p]));
    const rows = [...byHost.values()].map((p) => ({ id: p.hostId, ok: p.ack.ok, revision: p.ack.revision, lastApply: { ...p.ack, at: p.at } }));
    try {
      await this.prisma.$executeRawUnsafe(
        `UPDATE "Host" AS h SET
           "appliedRevision" = CASE WHEN x.ok THEN x.revision ELSE h."appliedRevision" END,
           "failedRevision" = CASE WHEN x.ok THEN NULL ELSE x.revision END,
           "lastApply" = x."lastApply",
           "updatedAt" = (now() AT TIME ZONE 'UTC')
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, ok boolean, revision int, "lastApply" jsonb)
         WHERE h."id" = x.id`,
        JSON.stringify(rows),
      );
      for (const p of batch) p.done();
    } catch (e) {
      for (const p of batch) p.failed(e);
    }
  }
}
