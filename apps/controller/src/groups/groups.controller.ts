import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { describeProblems, parsePayload } from '@qfleet/protocol';
import { LayerSchema, type Layer } from '@qfleet/qmail';
import { ZodBody } from '../errors/zod-body.pipe';
import { InvalidInput } from '../errors/errors';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { GroupsService } from './groups.service';

const GroupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be letters, digits, _ . -');
const CreateGroup = z.strictObject({ name: GroupName });

@ApiTags('groups')
@ApiBearerAuth()
@Controller('groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  list() {
    return this.groups.list();
  }

  @Post()
  @RequireRole('operator')
  create(@Body(new ZodBody(CreateGroup)) body: z.infer<typeof CreateGroup>, @CurrentActor() actor: Actor) {
    return this.groups.create(body.name, actor);
  }

  @Get(':name')
  get(@Param('name') name: string) {
    return this.groups.get(name);
  }

  @Delete(':name')
  @HttpCode(204)
  @RequireRole('operator')
  async remove(@Param('name') name: string, @CurrentActor() actor: Actor) {
    await this.groups.remove(name, actor);
  }

  @Get(':name/config')
  async getConfig(@Param('name') name: string) {
    const g = await this.groups.get(name);
    return { revision: g.revision, document: g.document };
  }

  @Put(':name/config')
  @RequireRole('operator')
  @ApiOperation({ summary: "Replace the group's document; every member gets a new revision" })
  putConfig(@Param('name') name: string, @Body(new ZodBody(LayerSchema)) doc: Layer, @CurrentActor() actor: Actor) {
    return this.groups.putConfig(name, doc, actor);
  }

  @Patch(':name/config')
  @RequireRole('operator')
  patchConfig(@Param('name') name: string, @Body(new ZodBody(z.record(z.string(), z.unknown()))) patch: Record<string, unknown>, @CurrentActor() actor: Actor) {
    return this.groups.patchConfig(name, patch, actor, (doc) => {
      const r = parsePayload(LayerSchema, doc);
      if (!r.ok) throw new InvalidInput(`invalid configuration: ${describeProblems(r.problems)}`, r.problems);
      return r.value;
    });
  }
}
