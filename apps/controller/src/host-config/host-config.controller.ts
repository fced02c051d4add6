import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LayerSchema, type Layer } from '@qfleet/qmail';
import { z } from 'zod';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { HostConfigService } from './host-config.service';

const documentSchema = z.toJSONSchema(LayerSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

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
  put(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodBody(LayerSchema)) doc: Layer, @CurrentActor() actor: Actor) {
    return this.config.put(id, doc, actor);
  }

  @Patch('config')
  @RequireRole('operator')
  @ApiOperation({ summary: 'JSON merge patch (RFC 7386) of the document' })
  @ApiBody({ schema: { type: 'object' } })
  patch(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodBody(z.record(z.string(), z.unknown()))) patch: Record<string, unknown>, @CurrentActor() actor: Actor) {
    return this.config.patch(id, patch, actor);
  }

  @Get('effective')
  @ApiOperation({ summary: "The host's groups in order, then its own document, merged; origin says where each entry comes from" })
  effective(@Param('id', ParseUUIDPipe) id: string) {
    return this.config.effective(id);
  }

  @Get('plan')
  @ApiOperation({ summary: 'The file-level diff that the next apply would make' })
  plan(@Param('id', ParseUUIDPipe) id: string) {
    return this.config.plan(id);
  }
}
