import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CreateApiTokenSchema, type CreateApiToken } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { ApiTokensService } from './tokens.service';

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('tokens')
@RequireRole('admin')
export class ApiTokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API token; the answer holds its secret, shown only this once' })
  @ApiBody({ schema: z.toJSONSchema(CreateApiTokenSchema) as Record<string, unknown> })
  create(@Body(new ZodBody(CreateApiTokenSchema)) body: CreateApiToken, @CurrentActor() actor: Actor) {
    return this.tokens.create(body, actor);
  }

  @Get()
  @ApiOperation({ summary: 'Every API token, without its secret' })
  list() {
    return this.tokens.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token at once; the last admin token cannot be deleted (409)' })
  async remove(@Param('id', ParseUUIDPipe) id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.tokens.delete(id, actor);
  }
}
