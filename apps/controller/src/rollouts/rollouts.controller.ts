import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { ResumeRolloutSchema, RolloutHostsQuerySchema, RolloutOptionsSchema, type RolloutHostsQuery } from '@qfleet/protocol';
import { ChangeSchema } from '@qfleet/qmail';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { RolloutsService } from './rollouts.service';

/** `POST /api/rollouts` (DESIGN.md "Interfaces"): the change with everything around it. */
const CreateRollout = RolloutOptionsSchema.extend({ change: ChangeSchema });
/** A retry or revert may take other batch settings than the rollout it follows; what it leaves out is the parent's (no defaults here). */
const FollowUp = z.strictObject({
  batchSize: RolloutOptionsSchema.shape.batchSize.removeDefault().optional(),
  maxFailures: RolloutOptionsSchema.shape.maxFailures.removeDefault().optional(),
  batchTimeoutSec: RolloutOptionsSchema.shape.batchTimeoutSec.removeDefault().optional(),
});

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('rollouts')
export class RolloutsController {
  constructor(private readonly rollouts: RolloutsService) {}

  @Post()
  @RequireRole('operator')
  @ApiOperation({ summary: 'One change to many hosts in batches; dryRun answers the per-host file diff and touches nothing' })
  async create(@Body(new ZodBody(CreateRollout)) body: z.infer<typeof CreateRollout>, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response) {
    const { change, ...options } = body;
    const result = await this.rollouts.create(change, options, actor);
    res.status(options.dryRun ? 200 : 201);
    return result;
  }

  @Get()
  list(@Query('limit') limit?: string) {
    return this.rollouts.list(limit ? Number(limit) || undefined : undefined);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Progress: status and counts over every host, and one page of hosts (?page, ?pageSize up to 1000, ?state) with state, revision and error' })
  get(@Param('id') id: string, @Query(new ZodBody(RolloutHostsQuerySchema)) query: RolloutHostsQuery) {
    return this.rollouts.get(id, query);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Stops after the batch in flight' })
  pause(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.rollouts.pause(id, actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequireRole('operator')
  resume(@Param('id') id: string, @Body(new ZodBody(ResumeRolloutSchema.default({}))) body: z.infer<typeof ResumeRolloutSchema>, @CurrentActor() actor: Actor) {
    return this.rollouts.resume(id, body.maxFailures, actor);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'No further batch starts; hosts already sent keep their revision' })
  cancel(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.rollouts.cancel(id, actor);
  }

  @Post(':id/retry')
  @RequireRole('operator')
  @ApiOperation({ summary: 'A new rollout of the same change to just the hosts that failed' })
  retry(@Param('id') id: string, @Body(new ZodBody(FollowUp.default({}))) body: z.infer<typeof FollowUp>, @CurrentActor() actor: Actor) {
    return this.rollouts.retry(id, actor, body);
  }

  @Post(':id/revert')
  @RequireRole('operator')
  @ApiOperation({ summary: 'A new rollout giving each changed host the document it had before' })
  revert(@Param('id') id: string, @Body(new ZodBody(FollowUp.default({}))) body: z.infer<typeof FollowUp>, @CurrentActor() actor: Actor) {
    return this.rollouts.revert(id, actor, body);
  }
}
