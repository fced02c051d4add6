import { Body, Controller, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import {
  BulkCreateHostsSchema,
  CreateHostSchema,
  HOST_SORTS,
  HOST_STATES,
  HostListQuerySchema,
  MAX_BULK_HOSTS,
  MAX_HOST_PAGE,
  TOTAL_COUNT_HEADER,
  UpdateHostSchema,
  type BulkCreateHosts,
  type CreateHost,
  type HostView,
  type UpdateHost,
} from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { HostsService } from './hosts.service';
import { HostOnboardingService } from './host-onboarding.service';
import { HostRef } from './host-ref.pipe';

@ApiTags('hosts')
@ApiBearerAuth()
@Controller('hosts')
export class HostsController {
  constructor(
    private readonly hosts: HostsService,
    private readonly onboarding: HostOnboardingService,
  ) {}

  @Post()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Create a host; the answer holds its one-time enrol token' })
  @ApiBody({ schema: z.toJSONSchema(CreateHostSchema) as Record<string, unknown> })
  create(@Body(new ZodBody(CreateHostSchema)) body: CreateHost, @CurrentActor() actor: Actor) {
    return this.hosts.create(body, actor);
  }

  @Post('bulk')
  @RequireRole('admin')
  @ApiOperation({ summary: `Create up to ${MAX_BULK_HOSTS} hosts, all or none (dryRun: check only); the answer holds each one's one-time enrol token` })
  @ApiBody({ schema: z.toJSONSchema(BulkCreateHostsSchema) as Record<string, unknown> })
  createMany(@Body(new ZodBody(BulkCreateHostsSchema)) body: BulkCreateHosts, @CurrentActor() actor: Actor) {
    return this.onboarding.createMany(body.hosts, actor, body.dryRun ?? false);
  }

  @Get()
  @ApiOperation({
    summary: `Hosts with their revisions, connection, drift and qmail state: with no parameter every host by name; with any, one page (at most ${MAX_HOST_PAGE}) and ${TOTAL_COUNT_HEADER}, the hosts matching the filters`,
  })
  @ApiQuery({ name: 'page', required: false, type: Number })
  @ApiQuery({ name: 'pageSize', required: false, type: Number, description: `1–${MAX_HOST_PAGE}, default 100` })
  @ApiQuery({ name: 'q', required: false, description: 'a substring of the name, any case' })
  @ApiQuery({ name: 'group', required: false })
  @ApiQuery({ name: 'state', required: false, description: `comma-separated, any of: ${HOST_STATES.join(', ')}` })
  @ApiQuery({ name: 'queueAbove', required: false, type: Number, description: 'state=queue: more messages than this (default 1000)' })
  @ApiQuery({ name: 'sort', required: false, enum: HOST_SORTS })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'] })
  async list(@Query() raw: Record<string, unknown>, @Res({ passthrough: true }) res: Response): Promise<HostView[]> {
    // No parameter: the whole fleet, as before paging (the CLI and scripts read it so).
    if (!Object.keys(raw).length) return this.hosts.list();
    const query = new ZodBody(HostListQuerySchema).transform(raw);
    const { hosts, total } = await this.hosts.page(query);
    res.setHeader(TOTAL_COUNT_HEADER, String(total));
    return hosts;
  }

  @Get(':id')
  get(@Param('id', HostRef) id: string) {
    return this.hosts.get(id);
  }

  @Patch(':id')
  @RequireRole('operator')
  @ApiOperation({ summary: "Change a host's groups or drift policy (report | enforce)" })
  @ApiBody({ schema: z.toJSONSchema(UpdateHostSchema) as Record<string, unknown> })
  update(@Param('id', HostRef) id: string, @Body(new ZodBody(UpdateHostSchema)) body: UpdateHost, @CurrentActor() actor: Actor) {
    return this.hosts.update(id, body, actor);
  }
}
