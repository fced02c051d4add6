import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { quotaShare, type FleetMailbox, type MailboxHostFigures, type MailboxPoint, type MailboxStats } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Samples are kept as reported this long; older ones are thinned to the first of each hour. */
export const FULL_SAMPLES_KEPT_MS = 48 * HOUR;
/** Hourly samples are kept this long. */
export const HOURLY_SAMPLES_KEPT_MS = 90 * 24 * HOUR;
/** Samples gathered for this long (or this many) go to the database in one statement. */
const FLUSH_MS = 1_000;
const FLUSH_AT = 500;
/** Samples kept for a retry while the database is away; past this the oldest are dropped. */
const PENDING_MAX = 20_000;

type Sample = { hostId: string; at: string; mailboxes: number; messages: number; bytes: number; unread: number; withQuota: number; skipped: number; scanMs: number };

/**
 * Mailbox figures from the agents (issue 14), as QueueStatsService keeps queue figures: the
 * latest report per host in memory (the fleet view, /metrics), and one stored sample per host
 * per report (at most one a minute), written in batches: 10,000 hosts reporting every five
 * minutes are 33 rows a second, one statement a second.
 */
@Injectable()
export class MailboxStatsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('mailbox-stats');
  private readonly latest = new Map<string, MailboxStats>();
  private pending = new Map<string, Sample>();
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private rollUpTimer?: NodeJS.Timeout;

  constructor(private readonly prisma: PrismaService) {}

  onModuleInit(): void {
    this.rollUpTimer = setInterval(() => void this.rollUp(new Date()).catch((e: Error) => this.logger.warn(`roll-up failed: ${e.message}`)), HOUR);
    this.rollUpTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.rollUpTimer) clearInterval(this.rollUpTimer);
    await this.flush().catch(() => undefined);
  }

  /** The latest figures of a host whose agent is connected to another replica (that one stores the sample). */
  remember(hostId: string, stats: MailboxStats): void {
    // The full list is an answer to one request, not state to keep for every host.
    this.latest.set(hostId, { ...stats, all: undefined, truncated: undefined });
  }

  /** Keeps the report as the host's latest and queues its sample for the next batch. */
  record(hostId: string, stats: MailboxStats): void {
    this.remember(hostId, stats);
    const at = new Date(Math.floor(Date.parse(stats.at) / MINUTE) * MINUTE).toISOString();
    const { mailboxes, messages, bytes, unread, withQuota, skipped, scanMs } = stats;
    // One row per host and minute: a later report of the same minute replaces an earlier one.
    this.pending.set(`${hostId} ${at}`, { hostId, at, mailboxes, messages, bytes, unread, withQuota, skipped, scanMs });
    while (this.pending.size > PENDING_MAX) this.pending.delete(this.pending.keys().next().value!);
    if (this.pending.size >= FLUSH_AT) void this.flush().catch(() => undefined);
    else this.schedule(FLUSH_MS);
  }

  private schedule(ms: number): void {
    // Unref'd: a pending batch never keeps the process up; shutdown flushes it (onModuleDestroy).
    this.flushTimer ??= setTimeout(() => void this.flush().catch(() => undefined), ms);
    this.flushTimer.unref();
  }

  /** Writes what is pending; what fails stays pending for the next attempt. Resolves once written. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.write());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.prisma.$executeRawUnsafe(
        `INSERT INTO "MailboxSample" ("hostId", "at", "mailboxes", "messages", "bytes", "unread", "withQuota", "skipped", "scanMs")
         SELECT x."hostId", x."at", x."mailboxes", x."messages", x."bytes", x."unread", x."withQuota", x."skipped", x."scanMs"
         FROM jsonb_to_recordset($1::jsonb) AS x("hostId" text, "at" timestamp(3), "mailboxes" int, "messages" int, "bytes" float8, "unread" int, "withQuota" int, "skipped" int, "scanMs" float8)
         ON CONFLICT ("hostId", "at") DO UPDATE SET
           "mailboxes" = EXCLUDED."mailboxes", "messages" = EXCLUDED."messages", "bytes" = EXCLUDED."bytes", "unread" = EXCLUDED."unread",
           "withQuota" = EXCLUDED."withQuota", "skipped" = EXCLUDED."skipped", "scanMs" = EXCLUDED."scanMs"`,
        JSON.stringify([...batch.values()]),
      );
    } catch (e) {
      // Newer samples of the same host and minute (arrived meanwhile) win over the failed ones.
      for (const [k, v] of batch) if (!this.pending.has(k)) this.pending.set(k, v);
      this.logger.warn(`cannot store ${batch.size} mailbox samples (kept for a retry): ${(e as Error).message.split('\n').at(-1)}`);
      this.schedule(5 * FLUSH_MS);
      throw e;
    }
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
