import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { ImportService } from './import.service';
import { HostRef } from '../hosts/host-ref.pipe';

const ImportBody = z.strictObject({ dryRun: z.boolean().default(false) }).default({ dryRun: false });

@ApiTags('config')
@ApiBearerAuth()
@Controller('hosts/:id/import')
export class ImportController {
  constructor(private readonly imports: ImportService) {}

  @Post()
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: "Read the host's qmail files through its agent and make them its document (dryRun: only show)" })
  run(@Param('id', HostRef) id: string, @Body(new ZodBody(ImportBody)) body: z.infer<typeof ImportBody>, @CurrentActor() actor: Actor) {
    return this.imports.importHost(id, actor, { dryRun: body.dryRun });
  }
}
