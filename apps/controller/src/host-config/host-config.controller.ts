import { Body, Controller, Get, Param, Patch, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { LayerSchema } from '@qfleet/qmail';
import { ConfigWriteQuerySchema as DryRunQuery, revisionTag, type RevisionPrecondition } from '@qfleet/protocol';
import { IfMatchHeader } from '../errors/if-match';
import { IF_MATCH_HEADER, STALE_RESPONSE } from './if-match.openapi';
import { z } from 'zod';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { HostConfigService } from './host-config.service';
import { HostRef } from '../hosts/host-ref.pipe';

const documentSchema = z.toJSONSchema(LayerSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

@ApiTags('config')
@ApiBearerAuth()
@Controller('hosts/:id')
export class HostConfigController {
  constructor(private readonly config: HostConfigService) {}

  @Get('config')
  @ApiOperation({ summary: "The host's own desired-state document and its revision", description: 'The revision is also the `ETag` (`"12"`): send it back as `If-Match` with a write.' })
  async get(@Param('id', HostRef) id: string, @Res({ passthrough: true }) res: Response) {
    const cfg = await this.config.get(id);
    res.setHeader('ETag', revisionTag(cfg.revision));
    return cfg;
  }

  @Put('config')
  @RequireRole('operator')
  @ApiOperation({
    summary: 'Replace the document',
    description:
      'The whole document: a field that is absent is not managed (its file is left as it is), `null` means managed and removed (the file is deleted, qmail\'s default applies), `[]` is an empty file. Domains are stored lowercase. A 400 names every refused field at once. `?dryRun=true` answers what the write would do (file changes, post-steps, fields no longer managed) and stores nothing.',
  })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiHeader(IF_MATCH_HEADER)
  @ApiResponse(STALE_RESPONSE)
  @ApiBody({ schema: documentSchema })
  // Parsed in the service, field by field, so that qmail's checks of the valid fields answer in the same 400.
  put(
    @Param('id', HostRef) id: string,
    @Query(new ZodBody(DryRunQuery)) q: z.infer<typeof DryRunQuery>,
    @IfMatchHeader() ifMatch: RevisionPrecondition | undefined,
    @Body() doc: unknown,
    @CurrentActor() actor: Actor,
  ) {
    return this.config.putInput(id, doc, actor, 'config.put', { dryRun: q.dryRun === 'true', ifMatch });
  }

  @Patch('config')
  @RequireRole('operator')
  @ApiOperation({
    summary: 'JSON merge patch (RFC 7386) of the document',
    description:
      'Members of the patch replace the document\'s; a `null` member deletes the field from the document, so it is no longer managed and its file is left as it is. To remove a file (managed and removed), PUT the document with the field set to `null`. `?dryRun=true` as for PUT.',
  })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiHeader(IF_MATCH_HEADER)
  @ApiResponse(STALE_RESPONSE)
  @ApiBody({ schema: { type: 'object' } })
  patch(
    @Param('id', HostRef) id: string,
    @Query(new ZodBody(DryRunQuery)) q: z.infer<typeof DryRunQuery>,
    @IfMatchHeader() ifMatch: RevisionPrecondition | undefined,
    @Body(new ZodBody(z.record(z.string(), z.unknown()))) patch: Record<string, unknown>,
    @CurrentActor() actor: Actor,
  ) {
    return this.config.patch(id, patch, actor, { dryRun: q.dryRun === 'true', ifMatch });
  }

  @Get('effective')
  @ApiOperation({ summary: "The host's groups in order, then its own document, merged; origin says where each entry comes from" })
  effective(@Param('id', HostRef) id: string) {
    return this.config.effective(id);
  }

  @Get('plan')
  @ApiOperation({ summary: 'The file-level diff that the next apply would make' })
  plan(@Param('id', HostRef) id: string) {
    return this.config.plan(id);
  }
}
