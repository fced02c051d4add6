import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { DomainStats, QueuePoint, QueueSeries, QueueStats } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';


const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Per-minute samples are kept this long; older ones are thinned to one per hour. */
export const MINUTE_SAMPLES_KEPT_MS = 48 * HOUR;
/** Hourly samples are kept this long. */
export const HOURLY_SAMPLES_KEPT_MS = 90 * 24 * HOUR;

/**
 * Queue figures from the agents: the latest per host in memory (dashboard, /metrics), and
 * one stored sample per host per minute (DESIGN.md "Data and scale": stored downsampled).
 */
@Injectable()
export class QueueStatsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('stats');
  private readonly latest = new Map<string, QueueStats>();
  private rollUpTimer?: NodeJS.Timeout;

  constructor(private readonly prisma: PrismaService) {}

  onModuleInit(): void {
    this.rollUpTimer = setInterval(() => void this.rollUp(new Date()).catch((e: Error) => this.logger.warn(`roll-up failed: ${e.message}`)), HOUR);
    this.rollUpTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.rollUpTimer) clearInterval(this.rollUpTimer);
  }

  /**
   * Older data rolled up: past two days only the sample at the top of each hour stays (the
   * queue size then, not an average: queue sizes add up across hosts, averages would not
   * tell what was waiting); past 90 days nothing.
   */
  async rollUp(now: Date): Promise<{ thinned: number; dropped: number }> {
    const minuteCutoff = new Date(now.getTime() - MINUTE_SAMPLES_KEPT_MS);
    const hourCutoff = new Date(now.getTime() - HOURLY_SAMPLES_KEPT_MS);
    const thinned = await this.prisma.$executeRaw`DELETE FROM "QueueSample" WHERE "at" < ${minuteCutoff} AND date_trunc('hour', "at") <> "at"`;
    const dropped = await this.prisma.$executeRaw`DELETE FROM "QueueSample" WHERE "at" < ${hourCutoff}`;
    return { thinned, dropped };
  }

  /** The latest figures of a host whose agent is connected to another replica (that one stores the sample). */
  remember(hostId: string, stats: QueueStats): void {
    this.latest.set(hostId, stats);
  }

  async record(hostId: string, stats: QueueStats): Promise<void> {
    this.latest.set(hostId, stats);
    const at = new Date(Math.floor(Date.parse(stats.at) / MINUTE) * MINUTE);
    const sample = {
      messages: stats.messages,
      unprocessed: stats.unprocessed,
      local: stats.local,
      remote: stats.remote,
      bytes: stats.bytes,
      oldestAgeSec: stats.oldestAgeSec,
    };
    await this.prisma.queueSample
      .upsert({ where: { hostId_at: { hostId, at } }, create: { hostId, at, ...sample }, update: sample })
      .catch((e: Error) => this.logger.warn(`cannot store a queue sample: ${e.message}`));
  }

  latestFor(hostId: string): QueueStats | undefined {
    return this.latest.get(hostId);
  }

  all(): Map<string, QueueStats> {
    return this.latest;
  }

  /**
   * Destination domains across the fleet from the latest reports: "gmail.com deferring on
   * 40 hosts" at a glance. Sorted by waiting messages.
   */
  domains(hostNames: Map<string, string>): DomainStats[] {
    const byDomain = new Map<string, DomainStats>();
    for (const [hostId, stats] of this.latest) {
      for (const d of stats.domains) {
        const agg = byDomain.get(d.domain) ?? { domain: d.domain, hosts: [], messages: 0, recipients: 0, nextRetryAt: null, oldestQueuedAt: null };
        agg.hosts.push(hostNames.get(hostId) ?? hostId);
        agg.messages += d.messages;
        agg.recipients += d.recipients;
        if (d.nextRetryAt && (!agg.nextRetryAt || d.nextRetryAt < agg.nextRetryAt)) agg.nextRetryAt = d.nextRetryAt;
        if (d.oldestQueuedAt && (!agg.oldestQueuedAt || d.oldestQueuedAt < agg.oldestQueuedAt)) agg.oldestQueuedAt = d.oldestQueuedAt;
        byDomain.set(d.domain, agg);
      }
    }
    return [...byDomain.values()].sort((a, b) => b.messages - a.messages || a.domain.localeCompare(b.domain));
  }

  forget(hostId: string): void {
    this.latest.delete(hostId);
  }

  /**
   * Fleet totals and per-host figures in buckets of `stepSec`; within a bucket a host counts
   * with its latest sample, so a sum over hosts is a real queue size, not a sum over time.
   */
  async series(sinceMs: number, stepSec: number, only: { hostId?: string; top?: number } = {}): Promise<QueueSeries> {
    const rows = await this.prisma.queueSample.findMany({
      where: { at: { gte: new Date(sinceMs) }, ...(only.hostId ? { hostId: only.hostId } : {}) },
      orderBy: { at: 'asc' },
    });
    const step = Math.max(60, stepSec) * 1000;
    const perHost = new Map<string, Map<number, QueuePoint>>();
    for (const r of rows) {
      const bucket = Math.floor(r.at.getTime() / step) * step;
      const point = { at: new Date(bucket).toISOString(), messages: r.messages, unprocessed: r.unprocessed, local: r.local, remote: r.remote, bytes: r.bytes, oldestAgeSec: r.oldestAgeSec };
      if (!perHost.has(r.hostId)) perHost.set(r.hostId, new Map());
      perHost.get(r.hostId)!.set(bucket, point); // rows are in time order: the latest wins
    }
    const fleetBuckets = new Map<number, QueuePoint>();
    for (const points of perHost.values()) {
      for (const [bucket, p] of points) {
        const f = fleetBuckets.get(bucket) ?? { at: p.at, messages: 0, unprocessed: 0, local: 0, remote: 0, bytes: 0, oldestAgeSec: null };
        f.messages += p.messages;
        f.unprocessed += p.unprocessed;
        f.local += p.local;
        f.remote += p.remote;
        f.bytes += p.bytes;
        if (p.oldestAgeSec !== null) f.oldestAgeSec = Math.max(f.oldestAgeSec ?? 0, p.oldestAgeSec);
        fleetBuckets.set(bucket, f);
      }
    }
    // The fleet total counts every host; the per-host lines only the busiest, so a chart of the
    // top hosts does not carry the whole fleet's history.
    let hosts = [...perHost.entries()];
    if (only.top !== undefined) {
      const peak = (points: Map<number, QueuePoint>) => Math.max(...[...points.values()].map((p) => p.messages));
      hosts = hosts
        .map(([id, points]) => ({ id, points, peak: peak(points) }))
        .sort((a, b) => b.peak - a.peak || a.id.localeCompare(b.id))
        .slice(0, only.top)
        .map((h): [string, Map<number, QueuePoint>] => [h.id, h.points]);
    }
    return {
      step: step / 1000,
      fleet: [...fleetBuckets.entries()].sort(([a], [b]) => a - b).map(([, p]) => p),
      hosts: Object.fromEntries(hosts.map(([id, m]) => [id, [...m.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)])),
    };
  }
}
