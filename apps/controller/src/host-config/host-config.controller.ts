import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HostDocumentSchema, type HostDocument } from '@qfleet/protocol';
import { z } from 'zod';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { HostConfigService } from './host-config.service';

const documentSchema = z.toJSONSchema(HostDocumentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

@ApiTags('config')
@ApiBearerAuth()
@Controller('hosts/:id')
export class HostConfigController {
  constructor(private readonly config: HostConfigService) {}

  @Get('config')
  @ApiOperation({ summary: "The host's own desired-state document and its revision" })
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.config.get(id);
  }

  @Put('config')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Replace the document: absent = unmanaged, null = managed and removed' })
  @ApiBody({ schema: documentSchema })
  put(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodBody(HostDocumentSchema)) doc: HostDocument, @CurrentActor() actor: Actor) {
    return this.config.put(id, doc, actor);
  }

  @Patch('config')
  @RequireRole('operator')
  @ApiOperation({ summary: 'JSON merge patch (RFC 7386) of the document' })
  @ApiBody({ schema: { type: 'object' } })
  patch(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodBody(z.record(z.string(), z.unknown()))) patch: Record<string, unknown>, @CurrentActor() actor: Actor) {
    return this.config.patch(id, patch, actor);
  }

  @Get('plan')
  @ApiOperation({ summary: 'The file-level diff that the next apply would make' })
  plan(@Param('id', ParseUUIDPipe) id: string) {
    return this.config.plan(id);
  }
}
