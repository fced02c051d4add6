import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { HostIdentityService } from './host-identity.service';
import { HostRef } from './host-ref.pipe';

/** Enrol again, rotate, revoke: admin only, each audited (DESIGN.md "Security"). */
@ApiTags('hosts')
@ApiBearerAuth()
@Controller('hosts')
@RequireRole('admin')
export class HostIdentityController {
  constructor(private readonly identity: HostIdentityService) {}

  @Post(':id/enroll')
  @HttpCode(201)
  @ApiOperation({ summary: 'A new one-time enrol token for an existing host, shown only this once; the old secret works until an agent enrols with it' })
  enroll(@Param('id', HostRef) id: string, @CurrentActor() actor: Actor) {
    return this.identity.enroll(id, actor);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: "Give the connected agent a new secret; committed once it acks that it stored it (409 if it is offline)" })
  rotate(@Param('id', HostRef) id: string, @CurrentActor() actor: Actor) {
    return this.identity.rotate(id, actor);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: "End the host's secret and enrol token, disconnect its agent; a new enroll brings it back" })
  revoke(@Param('id', HostRef) id: string, @CurrentActor() actor: Actor) {
    return this.identity.revoke(id, actor);
  }
}
