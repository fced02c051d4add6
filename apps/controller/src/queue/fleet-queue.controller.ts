import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { QueueFindRequestSchema, FleetTargetSchema } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { FleetQueueService } from './fleet-queue.service';

const FindBody = z.strictObject({ target: FleetTargetSchema, criteria: QueueFindRequestSchema });
const PurgeBody = z.strictObject({
  target: FleetTargetSchema,
  criteria: QueueFindRequestSchema,
  confirm: z.literal(true, { message: 'must be true: run find first and confirm the counts' }),
});

@ApiTags('queue')
@ApiBearerAuth()
@Controller('queue')
export class FleetQueueController {
  constructor(private readonly fleet: FleetQueueService) {}

  @Post('find')
  @HttpCode(200)
  @ApiOperation({ summary: 'Count queued messages by sender, recipient domain or subject on every targeted host (a dry run)' })
  find(@Body(new ZodBody(FindBody)) body: z.infer<typeof FindBody>) {
    return this.fleet.find(body.target, body.criteria);
  }

  @Post('purge')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Delete the messages that find counts, host by host, the safe way; audited' })
  purge(@Body(new ZodBody(PurgeBody)) body: z.infer<typeof PurgeBody>, @CurrentActor() actor: Actor) {
    return this.fleet.purge(body.target, body.criteria, actor);
  }
}
