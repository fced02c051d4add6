import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MAILBOX_STATS_TOP, MailboxScanRequest, MailboxStatsSchema, type MailboxFleetStats, type MailboxHostStats, type MailboxStats } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { NotFound } from '../errors/errors';
import { PrismaService } from '../database/prisma.service';
import { AgentRequests } from '../agents/agent-requests.service';
import { HostRef } from '../hosts/host-ref.pipe';
import { MailboxStatsService } from './mailbox-stats.service';

const since = z.string().max(40).optional();
const FleetQuery = z.object({
  /** ISO time or seconds ago; default a day */
  since,
  step: z.coerce.number().int().min(60).max(86400).default(300),
  /** the share of its quota from which a mailbox is listed in overQuota */
  quotaOver: z.coerce.number().min(0).max(10).default(0.9),
  limit: z.coerce.number().int().min(1).max(1000).default(MAILBOX_STATS_TOP),
});
const HostQuery = z.object({ since, step: z.coerce.number().int().min(60).max(86400).default(300) });
const ScanBody = z.strictObject({ full: z.boolean().default(false) });

/** A scan of a big host's first pass can take minutes; later ones read only what changed. */
const SCAN_TIMEOUT_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

function sinceMs(v: string | undefined): number {
  const t = !v ? Date.now() - DAY_MS : /^\d+$/.test(v) ? Date.now() - Number(v) * 1000 : Date.parse(v);
  return Number.isNaN(t) ? Date.now() - DAY_MS : t;
}

/** Mailbox statistics across the fleet and per host (issue 14). */
@ApiTags('stats')
@ApiBearerAuth()
@Controller('stats/mailboxes')
export class MailboxStatsController {
  constructor(
    private readonly stats: MailboxStatsService,
    private readonly prisma: PrismaService,
    private readonly agents: AgentRequests,
  ) {}

  private async names(): Promise<Map<string, string>> {
    const hosts = await this.prisma.host.findMany({ select: { id: true, name: true } });
    return new Map(hosts.map((h) => [h.id, h.name]));
  }

  @Get()
  @ApiOperation({ summary: 'Fleet mailbox totals over time (since, step), hosts by mailbox bytes, the largest mailboxes, mailboxes over quotaOver of their quota' })
  async fleet(@Query(new ZodBody(FleetQuery)) q: z.infer<typeof FleetQuery>): Promise<MailboxFleetStats> {
    const names = await this.names();
    const { step, points } = await this.stats.series(sinceMs(q.since), q.step);
    return {
      step,
      fleet: points,
      hosts: this.stats.hosts(names),
      largest: this.stats.largest(names, q.limit),
      overQuota: this.stats.overQuota(names, q.quotaOver, q.limit),
      quotaOver: q.quotaOver,
    };
  }

  @Get('hosts/:id')
  @ApiOperation({ summary: "One host's latest mailbox figures (largest and fullest mailboxes) and its totals over time" })
  async host(@Param('id', HostRef) id: string, @Query(new ZodBody(HostQuery)) q: z.infer<typeof HostQuery>): Promise<MailboxHostStats> {
    const host = await this.prisma.host.findUnique({ where: { id }, select: { id: true, name: true } });
    if (!host) throw new NotFound(`no host ${id}`);
    const { step, points } = await this.stats.series(sinceMs(q.since), q.step, id);
    return { hostId: id, host: host.name, latest: this.stats.latestFor(id) ?? null, series: points, step };
  }

  @Post('hosts/:id/scan')
  @HttpCode(200)
  @ApiOperation({ summary: "Asks the host's agent to scan its mailboxes now; with {full: true} the answer lists every mailbox" })
  async scan(@Param('id', HostRef) id: string, @Body(new ZodBody(ScanBody)) body: z.infer<typeof ScanBody>): Promise<MailboxStats> {
    const host = await this.prisma.host.findUnique({ where: { id }, select: { id: true } });
    if (!host) throw new NotFound(`no host ${id}`);
    const stats = await this.agents.ask(id, MailboxScanRequest, { full: body.full }, MailboxStatsSchema, SCAN_TIMEOUT_MS);
    this.stats.record(id, stats);
    return stats;
  }
}
