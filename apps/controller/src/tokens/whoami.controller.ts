import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { WhoAmI } from '@qfleet/protocol';
import { CurrentActor } from '../auth/actor.decorator';
import type { Actor } from '../auth/roles';

/** Any token may ask what it is: the dashboard hides the buttons a viewer could not use. */
@ApiTags('tokens')
@ApiBearerAuth()
@Controller('whoami')
export class WhoAmIController {
  @Get()
  @ApiOperation({ summary: 'The calling token: its name and role' })
  whoami(@CurrentActor() actor: Actor): WhoAmI {
    return { name: actor.name, role: actor.role };
  }
}
