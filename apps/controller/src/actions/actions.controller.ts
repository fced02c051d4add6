import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ActionSchema } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { ActionsService } from './actions.service';
import { HostRef } from '../hosts/host-ref.pipe';

const ActionBody = z.strictObject({ action: ActionSchema });

/** One host's qmail-send: its state, and the fixed actions of LWQ's qmailctl (QMAIL.md §5). */
@ApiTags('actions')
@ApiBearerAuth()
@Controller('hosts/:id')
export class ActionsController {
  constructor(private readonly actions: ActionsService) {}

  @Get('service')
  @ApiOperation({ summary: 'Whether qmail-send runs, since when, its pid, and the service backend’s own words' })
  state(@Param('id', HostRef) id: string) {
    return this.actions.state(id);
  }

  @Post('actions')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'start | stop | restart | reload (HUP) | flush (qmail-tcpok, ALRM); answers once it took effect; audited' })
  run(@Param('id', HostRef) id: string, @Body(new ZodBody(ActionBody)) body: z.infer<typeof ActionBody>, @CurrentActor() actor: Actor) {
    return this.actions.run(id, body.action, actor);
  }
}
