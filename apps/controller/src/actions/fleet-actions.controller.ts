import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ActionSchema, FleetTargetSchema } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { ActionsService } from './actions.service';

const FleetActionBody = z.strictObject({ target: FleetTargetSchema, action: ActionSchema });

@ApiTags('actions')
@ApiBearerAuth()
@Controller('actions')
export class FleetActionsController {
  constructor(private readonly actions: ActionsService) {}

  @Post()
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'One action on every targeted host (10 at a time); per-host results; one audit entry' })
  run(@Body(new ZodBody(FleetActionBody)) body: z.infer<typeof FleetActionBody>, @CurrentActor() actor: Actor) {
    return this.actions.runFleet(body.target, body.action, actor);
  }
}
