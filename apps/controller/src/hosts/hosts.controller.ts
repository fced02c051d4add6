import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BulkCreateHostsSchema, CreateHostSchema, MAX_BULK_HOSTS, UpdateHostSchema, type BulkCreateHosts, type CreateHost, type UpdateHost } from '@qfleet/protocol';
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
  @ApiOperation({ summary: 'Every host with its revisions, connection, drift and qmail state' })
  list() {
    return this.hosts.list();
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
