import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueStats } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { AgentSessions } from '../agents/agent-sessions';
import { AckWriter } from '../agents/ack-writer';
import { ReportWriter } from '../agents/report-writer';
import { QueueStatsService } from './queue-stats.service';
import { MailboxMetrics, MailboxStatsService } from '../mailbox-stats';

/** Per-host queue figures on the Prometheus page, from the latest agent report. */
const QUEUE_GAUGES: { name: string; help: string; pick: (s: QueueStats) => number | null }[] = [
  { name: 'qfleet_queue_messages', help: 'messages in the queue, as qmail-qstat counts them', pick: (s) => s.messages },
  { name: 'qfleet_queue_unprocessed', help: 'messages not yet preprocessed (queue/todo)', pick: (s) => s.unprocessed },
  { name: 'qfleet_queue_local', help: 'messages with local recipients pending', pick: (s) => s.local },
  { name: 'qfleet_queue_remote', help: 'messages with remote recipients pending', pick: (s) => s.remote },
  { name: 'qfleet_queue_bytes', help: 'bytes of queued messages', pick: (s) => s.bytes },
  { name: 'qfleet_queue_oldest_age_seconds', help: 'age of the oldest queued message', pick: (s) => s.oldestAgeSec },
];

/** The Prometheus page (`/metrics`): fleet and per-host figures, computed when scraped. */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();
  private readonly queue = QUEUE_GAUGES.map((g) => ({ ...g, gauge: new Gauge({ name: g.name, help: g.help, labelNames: ['host'], registers: [this.registry] }) }));
  private readonly connected = new Gauge({ name: 'qfleet_host_connected', help: "1 when the host's agent is connected", labelNames: ['host'], registers: [this.registry] });
  private readonly behind = new Gauge({ name: 'qfleet_host_revisions_behind', help: 'desired minus applied revision', labelNames: ['host'], registers: [this.registry] });
  private readonly failed = new Gauge({ name: 'qfleet_host_apply_failed', help: '1 when the desired revision failed on the host', labelNames: ['host'], registers: [this.registry] });

  /**
   * How long the event loop could not take a turn, since the last scrape: the embedded
   * database runs in this thread, and a stall of seconds drops every agent on ping timeout.
   */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly loopLag = new Gauge({
    name: 'qfleet_event_loop_lag_seconds',
    help: 'event-loop delay since the previous scrape: the longest (stat="max") and the 99th percentile (stat="p99")',
    labelNames: ['stat'],
    registers: [this.registry],
    collect: () => {
      // The monitor's figures are in nanoseconds and count its own 10 ms resolution as a turn.
      this.loopLag.set({ stat: 'max' }, this.loopDelay.count ? this.loopDelay.max / 1e9 : 0);
      this.loopLag.set({ stat: 'p99' }, this.loopDelay.count ? this.loopDelay.percentile(99) / 1e9 : 0);
      this.loopDelay.reset();
    },
  });

  private readonly mailboxMetrics = new MailboxMetrics(this.registry);

  /** Writes waiting for the database: bounded, so a slow database shows here, not in the heap. */
  private readonly writeQueue = new Gauge({
    name: 'qfleet_write_queue_depth',
    help: 'writes waiting for the database: queue samples (queue="stats"), mailbox samples (queue="mailboxes"), hosts with a report or last-seen time (queue="reports"), apply acknowledgements (queue="acks")',
    labelNames: ['queue'],
    registers: [this.registry],
    collect: () => {
      this.writeQueue.set({ queue: 'stats' }, this.queues.queued);
      this.writeQueue.set({ queue: 'mailboxes' }, this.mailboxes.queued);
      this.writeQueue.set({ queue: 'reports' }, this.reports.queued);
      this.writeQueue.set({ queue: 'acks' }, this.acks.queued);
    },
  });
  private readonly writeDrops = new Counter({
    name: 'qfleet_write_queue_dropped_total',
    help: 'queue (queue="stats") and mailbox (queue="mailboxes") samples not stored because the write queue was full (the latest figures are kept in memory)',
    labelNames: ['queue'],
    registers: [this.registry],
    collect: () => {
      this.writeDrops.reset();
      this.writeDrops.inc({ queue: 'stats' }, this.queues.dropped);
      this.writeDrops.inc({ queue: 'mailboxes' }, this.mailboxes.dropped);
    },
  });

  constructor(
    private readonly prisma: PrismaService,
    private readonly sessions: AgentSessions,
    private readonly queues: QueueStatsService,
    private readonly mailboxes: MailboxStatsService,

    private readonly acks: AckWriter,
    private readonly reports: ReportWriter,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'qfleet_controller_' });
    this.loopDelay.enable();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    const hosts = await this.prisma.host.findMany({ select: { id: true, name: true, desiredRevision: true, appliedRevision: true, failedRevision: true } });
    for (const g of [...this.queue.map((q) => q.gauge), this.connected, this.behind, this.failed]) g.reset();
    for (const h of hosts) {
      const host = { host: h.name };
      this.connected.set(host, this.sessions.isConnected(h.id) ? 1 : 0);
      this.behind.set(host, h.desiredRevision - h.appliedRevision);
      this.failed.set(host, h.failedRevision !== null && h.failedRevision === h.desiredRevision ? 1 : 0);
      const s = this.queues.latestFor(h.id);
      if (!s) continue;
      for (const q of this.queue) {
        const v = q.pick(s);
        if (v !== null) q.gauge.set(host, v);
      }
    }
    this.mailboxMetrics.update(hosts.map((h) => ({ name: h.name, stats: this.mailboxes.latestFor(h.id) })));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
