import { Injectable } from '@nestjs/common';
import { sparklineGrid, sparklineIndex, type DomainStats, type QueuePoint, type QueueSeries, type QueueSparklines, type QueueStats } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import type { PendingSample } from './sample-buffer';
import { SampleStore } from './sample-store';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Per-minute samples are kept this long; older ones are thinned to one per hour. */
export const MINUTE_SAMPLES_KEPT_MS = 48 * HOUR;
/** Hourly samples are kept this long. */
export const HOURLY_SAMPLES_KEPT_MS = 90 * 24 * HOUR;
/** Samples waiting at most: 10,000 agents reporting every 10 s give 1,000 a second. */
export const SAMPLE_BUFFER = 50_000;

type Sample = Omit<QueuePoint, 'at'>;

/**
 * Queue figures from the agents: the latest per host in memory (dashboard, /metrics, the
 * newest points of the series), and one stored sample per host per minute (DESIGN.md "Data
 * and scale": stored downsampled), written through a SampleStore (bounded, one statement a
 * second): a slow database costs history points (counted in /metrics), never an unbounded queue.
 */
@Injectable()
export class QueueStatsService extends SampleStore<Sample> {
  private readonly latest = new Map<string, QueueStats>();

  constructor(private readonly prisma: PrismaService) {
    super('queue', SAMPLE_BUFFER, 'stats');
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

  /** Keeps the figures as the host's latest and buffers a sample of them; nothing waits for the database. */
  record(hostId: string, stats: QueueStats): void {
    this.latest.set(hostId, stats);
    this.addSample(hostId, stats.at, sampleOf(stats));
  }

  protected async write(batch: PendingSample<Sample>[]): Promise<void> {
    const rows = batch.map((p) => ({ hostId: p.hostId, at: new Date(p.at).toISOString(), ...p.sample }));
    // One multi-row upsert: a later flush can carry the same host and minute (a newer report).
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO "QueueSample" ("hostId", "at", "messages", "unprocessed", "local", "remote", "bytes", "oldestAgeSec")
       SELECT x."hostId", x."at", x."messages", x."unprocessed", x."local", x."remote", x."bytes", x."oldestAgeSec"
       FROM jsonb_to_recordset($1::jsonb) AS x("hostId" text, "at" timestamp(3), "messages" int, "unprocessed" int, "local" int, "remote" int, "bytes" float8, "oldestAgeSec" float8)
       ON CONFLICT ("hostId", "at") DO UPDATE SET
         "messages" = EXCLUDED."messages", "unprocessed" = EXCLUDED."unprocessed", "local" = EXCLUDED."local",
         "remote" = EXCLUDED."remote", "bytes" = EXCLUDED."bytes", "oldestAgeSec" = EXCLUDED."oldestAgeSec"`,
      JSON.stringify(rows),
    );
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
    const step = Math.max(60, stepSec) * 1000;
    // Buckets are numbered (time / step): a point's time is written once per bucket, at the end,
    // not per sample (10,000 hosts × an hour of samples made the ISO strings most of the cost).
    const perHost = new Map<string, Map<number, Sample>>();
    const put = (hostId: string, bucket: number, s: Sample) => {
      let points = perHost.get(hostId);
      if (!points) perHost.set(hostId, (points = new Map()));
      points.set(bucket, s);
    };
    const putAt = (hostId: string, atMs: number, s: Sample) => {
      if (atMs < sinceMs || (only.hostId !== undefined && hostId !== only.hostId)) return;
      put(hostId, Math.floor(atMs / step), s);
    };
    // In time order, so within a bucket the latest wins: stored rows (the latest of each host
    // and bucket, picked by the database, and only the columns shown), then the samples not yet
    // written, then the latest figures in memory (newer than any sample of their minute).
    for (const r of await this.newestPerBucket(sinceMs, 0, step, only.hostId ? [only.hostId] : undefined)) put(r.hostId, Number(r.b), r);
    for (const p of this.pendingSamples()) putAt(p.hostId, p.at, p.sample);
    for (const [hostId, s] of this.latest) putAt(hostId, Date.parse(s.at), s);
    const atOf = new Map<number, string>();
    const point = (bucket: number, s: Sample): QueuePoint => {
      let at = atOf.get(bucket);
      if (at === undefined) atOf.set(bucket, (at = new Date(bucket * step).toISOString()));
      return { at, ...sampleOf(s) };
    };
    const fleetBuckets = new Map<number, QueuePoint>();
    for (const points of perHost.values()) {
      for (const [bucket, p] of points) {
        let f = fleetBuckets.get(bucket);
        if (!f) fleetBuckets.set(bucket, (f = { ...point(bucket, p), messages: 0, unprocessed: 0, local: 0, remote: 0, bytes: 0, oldestAgeSec: null }));
        f.messages += p.messages;
        f.unprocessed += p.unprocessed;
        f.local += p.local;
        f.remote += p.remote;
        f.bytes += p.bytes;
        if (p.oldestAgeSec !== null) f.oldestAgeSec = Math.max(f.oldestAgeSec ?? 0, p.oldestAgeSec);
      }
    }
    // The fleet total counts every host; the per-host lines only the busiest, so a chart of the
    // top hosts does not carry the whole fleet's history.
    let hosts = [...perHost.entries()];
    if (only.top !== undefined) {
      const peak = (points: Map<number, Sample>) => Math.max(...[...points.values()].map((p) => p.messages));
      hosts = hosts
        .map(([id, points]) => ({ id, points, peak: peak(points) }))
        .sort((a, b) => b.peak - a.peak || a.id.localeCompare(b.id))
        .slice(0, only.top)
        .map((h): [string, Map<number, Sample>] => [h.id, h.points]);
    }
    return {
      step: step / 1000,
      fleet: [...fleetBuckets.entries()].sort(([a], [b]) => a - b).map(([, p]) => p),
      hosts: Object.fromEntries(hosts.map(([id, m]) => [id, [...m.entries()].sort(([a], [b]) => a - b).map(([b, p]) => point(b, p))])),
    };
  }

  /**
   * The newest stored sample of each host and bucket since `sinceMs`, bucketed on the database:
   * b = floor((at - originMs) / stepMs). `hostIds`: these hosts only (every host when absent).
   */
  private newestPerBucket(sinceMs: number, originMs: number, stepMs: number, hostIds?: string[]): Promise<(Sample & { hostId: string; b: number })[]> {
    // "at" is UTC without a zone, so its epoch is the sample's; DISTINCT ON keeps the newest of a bucket.
    return this.prisma.$queryRawUnsafe(
      `SELECT DISTINCT ON ("hostId", b) "hostId", b, "messages", "unprocessed", "local", "remote", "bytes", "oldestAgeSec"
       FROM (SELECT *, floor((extract(epoch FROM "at") * 1000 - $2::float8) / $3::float8)::int AS b
             FROM "QueueSample"
             WHERE "at" >= $1::timestamp(3) AND ($4::jsonb IS NULL OR "hostId" IN (SELECT jsonb_array_elements_text($4::jsonb)))) s
       ORDER BY "hostId", b, "at" DESC`,
      new Date(sinceMs).toISOString(),
      originMs,
      stepMs,
      hostIds ? JSON.stringify(hostIds) : null,
    );
  }

  /**
   * The last hour of queue totals of the named hosts (a fleet page's sparklines): one statement
   * buckets the stored samples on the database (the latest sample of each host and bucket), then
   * the samples not yet written and the latest figures (newer) fill in, as in `series`.
   */
  async sparklines(ids: string[], stepSec: number, nowMs = Date.now()): Promise<QueueSparklines> {
    const grid = sparklineGrid(nowMs, stepSec);
    const wanted = new Set(ids);
    const hosts = new Map<string, (number | null)[]>();
    const put = (hostId: string, index: number, messages: number) => {
      if (index < 0 || !wanted.has(hostId)) return;
      let line = hosts.get(hostId);
      if (!line) hosts.set(hostId, (line = new Array<number | null>(grid.points).fill(null)));
      line[index] = messages;
    };
    const rows = await this.newestPerBucket(grid.fromMs, grid.fromMs, stepSec * 1000, ids);
    for (const r of rows) put(r.hostId, Number(r.b) < grid.points ? Number(r.b) : -1, r.messages);
    for (const p of this.pendingSamples()) put(p.hostId, sparklineIndex(p.at, grid), p.sample.messages);
    for (const id of ids) {
      const s = this.latest.get(id);
      if (s) put(id, sparklineIndex(Date.parse(s.at), grid), s.messages);
    }
    return { step: stepSec, from: new Date(grid.fromMs).toISOString(), points: grid.points, hosts: Object.fromEntries(hosts) };
  }
}

function sampleOf(s: Sample): Sample {
  return { messages: s.messages, unprocessed: s.unprocessed, local: s.local, remote: s.remote, bytes: s.bytes, oldestAgeSec: s.oldestAgeSec };
}
