import { Body, Controller, Get, Header, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { QueueSparklinesQuerySchema, type QueueSparklines, type QueueSparklinesQuery } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { QueueStatsService } from './queue-stats.service';
import { MetricsService } from './metrics.service';
import { PrismaService } from '../database/prisma.service';

const SeriesQuery = z.object({
  /** ISO time or seconds ago; default one hour */
  since: z.string().optional(),
  step: z.coerce.number().int().min(60).max(86400).default(60),
  /** one host only (its id): the host page's chart */
  host: z.uuid().optional(),
  /** per-host lines for the busiest N hosts only (peak messages in the range); the fleet total still counts every host */
  top: z.coerce.number().int().min(0).max(100).optional(),
});

@ApiTags('stats')
@ApiBearerAuth()
@Controller()
export class StatsController {
  constructor(
    private readonly queues: QueueStatsService,
    private readonly metrics: MetricsService,
    private readonly prisma: PrismaService,
  ) {}

  @Get('stats/queues')
  @ApiOperation({ summary: 'Fleet and per-host queue sizes over time (since: ISO time or seconds ago; step: seconds, 60+; host: one host id; top: the N busiest hosts only)' })
  queueSeries(@Query(new ZodBody(SeriesQuery)) q: z.infer<typeof SeriesQuery>) {
    const since = !q.since ? Date.now() - 3600_000 : /^\d+$/.test(q.since) ? Date.now() - Number(q.since) * 1000 : Date.parse(q.since);
    return this.queues.series(Number.isNaN(since) ? Date.now() - 3600_000 : since, q.step, { hostId: q.host, top: q.top });
  }

  /** Read only (a viewer may call it): a POST only because a page of ids does not fit in a query string. */
  @Post('stats/queues/hosts')
  @HttpCode(200)
  @ApiOperation({ summary: 'The last hour of queue totals (messages) of up to 1,000 named hosts, one point per step (60 s: 60 points), null where a host has no sample; body { ids, step? }' })
  queueSparklines(@Body(new ZodBody(QueueSparklinesQuerySchema)) q: QueueSparklinesQuery): Promise<QueueSparklines> {
    return this.queues.sparklines(q.ids, q.step);
  }

  @Get('stats/domains')
  @ApiOperation({ summary: 'Waiting remote mail per destination domain across the fleet, with the hosts and the next retry' })
  async domains() {
    const hosts = await this.prisma.host.findMany({ select: { id: true, name: true } });
    return this.queues.domains(new Map(hosts.map((h) => [h.id, h.name])));
  }

  /**
   * Prometheus text format, outside /api; it names every host, so it takes a token (viewer and
   * up) like the API. QFLEET_METRICS_PORT serves it without one on a port of its own.
   */
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async prometheus(@Res() res: Response) {
    const { contentType, body } = await this.metrics.render();
    res.type(contentType).send(body);
  }
}
