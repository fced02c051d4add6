import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { LayerSchema } from '@qfleet/qmail';
import { ConfigWriteQuerySchema as DryRunQuery, GROUP_PLAN_MEMBERS, revisionTag, type RevisionPrecondition } from '@qfleet/protocol';
import { IfMatchHeader } from '../errors/if-match';
import { IF_MATCH_HEADER, STALE_RESPONSE } from '../host-config/if-match.openapi';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { GroupsService } from './groups.service';

const GroupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be letters, digits, _ . -');
const documentSchema = z.toJSONSchema(LayerSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
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

  // No ETag here: the members change without the group's revision, and a browser revalidating
  // with If-None-Match would be told 304 and keep showing the old members.
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
  @ApiOperation({ summary: "The group's document and its revision (also the `ETag`, for `If-Match` on a write)" })
  async getConfig(@Param('name') name: string, @Res({ passthrough: true }) res: Response) {
    const g = await this.groups.get(name);
    res.setHeader('ETag', revisionTag(g.revision));
    return { revision: g.revision, document: g.document };
  }

  @Put(':name/config')
  @RequireRole('operator')
  @ApiOperation({
    summary: "Replace the group's document; every member gets a new revision",
    description:
      'The host document\'s shape, plus `remove`: absent = the group says nothing, `null` = managed and removed, `[]` = empty file. Domains are stored lowercase. A 400 names every refused field at once. ' +
      `\`?dryRun=true\` answers what the write would do to each member (its file changes against the files it reported, post-steps, warnings, or why it would be refused; the first ${GROUP_PLAN_MEMBERS} members by name in full, all of them counted) and stores nothing.`,
  })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiHeader(IF_MATCH_HEADER)
  @ApiResponse(STALE_RESPONSE)
  @ApiBody({ schema: documentSchema })
  // Parsed in the service, field by field, so that qmail's checks of the valid fields answer in the same 400.
  putConfig(
    @Param('name') name: string,
    @Query(new ZodBody(DryRunQuery)) q: z.infer<typeof DryRunQuery>,
    @IfMatchHeader() ifMatch: RevisionPrecondition | undefined,
    @Body() doc: unknown,
    @CurrentActor() actor: Actor,
  ) {
    return q.dryRun === 'true' ? this.groups.dryRunConfig(name, doc, actor, ifMatch) : this.groups.putConfig(name, doc, actor, ifMatch);
  }

  @Patch(':name/config')
  @RequireRole('operator')
  @ApiOperation({
    summary: "JSON merge patch (RFC 7386) of the group's document; every member gets a new revision",
    description: 'A `null` member deletes the field from the group\'s document: the group no longer says anything about it. To have the group remove a file, PUT its document with the field set to `null`. `?dryRun=true` as for PUT.',
  })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiHeader(IF_MATCH_HEADER)
  @ApiResponse(STALE_RESPONSE)
  patchConfig(
    @Param('name') name: string,
    @Query(new ZodBody(DryRunQuery)) q: z.infer<typeof DryRunQuery>,
    @IfMatchHeader() ifMatch: RevisionPrecondition | undefined,
    @Body(new ZodBody(z.record(z.string(), z.unknown()))) patch: Record<string, unknown>,
    @CurrentActor() actor: Actor,
  ) {
    return this.groups.patchConfig(name, patch, actor, { dryRun: q.dryRun === 'true', ifMatch });
  }
}
