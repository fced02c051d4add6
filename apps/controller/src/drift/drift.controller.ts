import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { DriftFilesQuerySchema, type DriftFilesQuery } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
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

  @Get('drift/files')
  @ApiOperation({
    summary: 'The drifted files as they are on the host now, with the desired bytes and a unified diff',
    description:
      'Asks the agent (on whichever replica holds it) for the drifted files only: managed paths under the qmail home, read without following links, text only, at most 1 MiB each. `path` (repeatable, at most 20) picks drifted files; without it the first 20 are answered and `more` counts the rest. 409 when the host is offline.',
  })
  @ApiQuery({ name: 'path', required: false, isArray: true, type: String })
  driftFiles(@Param('id', HostRef) id: string, @Query(new ZodBody(DriftFilesQuerySchema)) q: DriftFilesQuery) {
    return this.drift.files(id, q.path);
  }

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
