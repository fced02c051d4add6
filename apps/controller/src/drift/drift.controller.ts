import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { ApplyDispatcher } from '../agents/apply-dispatcher.service';
import { HostsService } from '../hosts/hosts.service';
import { DriftService } from './drift.service';
import { HostRef } from '../hosts/host-ref.pipe';

@ApiTags('drift')
@ApiBearerAuth()
@Controller('hosts/:id')
export class DriftController {
  constructor(
    private readonly drift: DriftService,
    private readonly dispatcher: ApplyDispatcher,
    private readonly hosts: HostsService,
  ) {}

  @Post('drift/adopt')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Take the edits made on the host into its document (a new revision)' })
  adopt(@Param('id', HostRef) id: string, @CurrentActor() actor: Actor) {
    return this.drift.adopt(id, actor);
  }

  @Post('drift/revert')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Overwrite the edits made on the host with the desired files' })
  revert(@Param('id', HostRef) id: string, @CurrentActor() actor: Actor) {
    return this.drift.revert(id, actor);
  }

  @Post('retry')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Send a failed revision again' })
  async retry(@Param('id', HostRef) id: string) {
    await this.hosts.get(id);
    await this.dispatcher.retry(id);
    return this.hosts.get(id);
  }
}
