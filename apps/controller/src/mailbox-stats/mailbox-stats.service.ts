import { Injectable } from '@nestjs/common';
import { quotaShare, type FleetMailbox, type MailboxHostFigures, type MailboxPoint, type MailboxStats } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import type { PendingSample } from '../stats/sample-buffer';
import { SampleStore } from '../stats/sample-store';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Samples are kept as reported this long; older ones are thinned to the first of each hour. */
export const FULL_SAMPLES_KEPT_MS = 48 * HOUR;
/** Hourly samples are kept this long. */
export const HOURLY_SAMPLES_KEPT_MS = 90 * 24 * HOUR;
/** Samples waiting at most (SampleBuffer): 10,000 hosts reporting every five minutes give 33 a second. */
export const MAILBOX_SAMPLE_BUFFER = 20_000;

type Sample = Pick<MailboxStats, 'mailboxes' | 'messages' | 'bytes' | 'unread' | 'withQuota' | 'skipped' | 'scanMs'>;

/**
 * Mailbox figures from the agents (issue 14), as QueueStatsService keeps queue figures: the
 * latest report per host in memory (the fleet view, /metrics), and one stored sample per host
 * per report (at most one a minute), written through the same bounded SampleStore as the queue
 * samples: one statement a second, and a slow database costs counted history points, not memory.
 */
@Injectable()
export class MailboxStatsService extends SampleStore<Sample> {
  private readonly latest = new Map<string, MailboxStats>();

  constructor(private readonly prisma: PrismaService) {
    super('mailbox', MAILBOX_SAMPLE_BUFFER, 'mailbox-stats');
  }

  /** The latest figures of a host whose agent is connected to another replica (that one stores the sample). */
  remember(hostId: string, stats: MailboxStats): void {
    // The full list is an answer to one request, not state to keep for every host.
    this.latest.set(hostId, { ...stats, all: undefined, truncated: undefined });
  }

  /** Keeps the report as the host's latest and buffers its sample; nothing waits for the database. */
  record(hostId: string, stats: MailboxStats): void {
    this.remember(hostId, stats);
    const { mailboxes, messages, bytes, unread, withQuota, skipped, scanMs } = stats;
    this.addSample(hostId, stats.at, { mailboxes, messages, bytes, unread, withQuota, skipped, scanMs });
  }

  protected async write(batch: PendingSample<Sample>[]): Promise<void> {
    const rows = batch.map((p) => ({ hostId: p.hostId, at: new Date(p.at).toISOString(), ...p.sample }));
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO "MailboxSample" ("hostId", "at", "mailboxes", "messages", "bytes", "unread", "withQuota", "skipped", "scanMs")
       SELECT x."hostId", x."at", x."mailboxes", x."messages", x."bytes", x."unread", x."withQuota", x."skipped", x."scanMs"
       FROM jsonb_to_recordset($1::jsonb) AS x("hostId" text, "at" timestamp(3), "mailboxes" int, "messages" int, "bytes" float8, "unread" int, "withQuota" int, "skipped" int, "scanMs" float8)
       ON CONFLICT ("hostId", "at") DO UPDATE SET
         "mailboxes" = EXCLUDED."mailboxes", "messages" = EXCLUDED."messages", "bytes" = EXCLUDED."bytes", "unread" = EXCLUDED."unread",
         "withQuota" = EXCLUDED."withQuota", "skipped" = EXCLUDED."skipped", "scanMs" = EXCLUDED."scanMs"`,
      JSON.stringify(rows),
    );
  }

  /** Past two days the first sample of each host and hour stays; past 90 days none. */
  async rollUp(now: Date): Promise<{ thinned: number; dropped: number }> {
    const fullCutoff = new Date(now.getTime() - FULL_SAMPLES_KEPT_MS);
    const hourCutoff = new Date(now.getTime() - HOURLY_SAMPLES_KEPT_MS);
    const thinned = await this.prisma.$executeRaw`
      DELETE FROM "MailboxSample" s WHERE s."at" < ${fullCutoff} AND EXISTS (
        SELECT 1 FROM "MailboxSample" t WHERE t."hostId" = s."hostId" AND t."at" < s."at" AND date_trunc('hour', t."at") = date_trunc('hour', s."at"))`;
    const dropped = await this.prisma.$executeRaw`DELETE FROM "MailboxSample" WHERE "at" < ${hourCutoff}`;
    return { thinned, dropped };
  }

  latestFor(hostId: string): MailboxStats | undefined {
    return this.latest.get(hostId);
  }

  forget(hostId: string): void {
    this.latest.delete(hostId);
  }

  /** Each host's latest figures, most bytes first (hosts that never reported are left out). */
  hosts(names: Map<string, string>): MailboxHostFigures[] {
    return [...this.latest.entries()]
      .filter(([id]) => names.has(id))
      .map(([hostId, s]) => ({ hostId, host: names.get(hostId)!, at: s.at, mailboxes: s.mailboxes, messages: s.messages, bytes: s.bytes, unread: s.unread, scanMs: s.scanMs, withQuota: s.withQuota, skipped: s.skipped }))
      .sort((a, b) => b.bytes - a.bytes || a.host.localeCompare(b.host));
  }

  /** The largest mailboxes across the fleet: each host reports its largest, these are merged. */
  largest(names: Map<string, string>, limit: number): FleetMailbox[] {
    return this.mailboxes(names, (s) => s.largest)
      .sort((a, b) => b.bytes - a.bytes || a.host.localeCompare(b.host) || a.user.localeCompare(b.user))
      .slice(0, limit);
  }

  /** Mailboxes at or over `share` of their quota, fullest first. */
  overQuota(names: Map<string, string>, share: number, limit: number): FleetMailbox[] {
    return this.mailboxes(names, (s) => s.fullest)
      .filter((m) => m.quotaShare !== null && m.quotaShare >= share)
      .sort((a, b) => b.quotaShare! - a.quotaShare! || a.host.localeCompare(b.host) || a.user.localeCompare(b.user))
      .slice(0, limit);
  }

  private mailboxes(names: Map<string, string>, pick: (s: MailboxStats) => MailboxStats['largest']): FleetMailbox[] {
    const out: FleetMailbox[] = [];
    for (const [hostId, s] of this.latest) {
      const host = names.get(hostId);
      if (host === undefined) continue;
      for (const m of pick(s)) out.push({ ...m, hostId, host, quotaShare: quotaShare(m) });
    }
    return out;
  }

  /**
   * Totals over time in points `stepSec` apart. Agents report every few minutes, not on the
   * step's beat: at each point a host counts with its latest sample at or before it, for up to
   * `staleMs` (a host gone quiet stops counting rather than counting forever).
   */
  async series(sinceMs: number, stepSec: number, hostId?: string, nowMs = Date.now()): Promise<{ step: number; points: MailboxPoint[] }> {
    const step = Math.max(60, stepSec) * 1000;
    const staleMs = Math.max(3 * step, 30 * MINUTE);
    const rows = await this.prisma.mailboxSample.findMany({
      where: { at: { gte: new Date(sinceMs - staleMs), lte: new Date(nowMs) }, ...(hostId ? { hostId } : {}) },
      orderBy: { at: 'asc' },
    });
    const last = new Map<string, (typeof rows)[number]>();
    const points: MailboxPoint[] = [];
    let i = 0;
    for (let t = Math.ceil(sinceMs / step) * step; sinceMs <= nowMs; t += step) {
      const end = Math.min(t, nowMs);
      while (i < rows.length && rows[i].at.getTime() <= end) last.set(rows[i].hostId, rows[i++]);
      const p: MailboxPoint = { at: new Date(end).toISOString(), mailboxes: 0, messages: 0, bytes: 0, unread: 0 };
      let any = false;
      for (const r of last.values()) {
        if (end - r.at.getTime() > staleMs) continue;
        any = true;
        p.mailboxes += r.mailboxes;
        p.messages += r.messages;
        p.bytes += r.bytes;
        p.unread += r.unread;
      }
      if (any) points.push(p);
      if (end >= nowMs) break;
    }
    return { step: step / 1000, points };
  }
}
