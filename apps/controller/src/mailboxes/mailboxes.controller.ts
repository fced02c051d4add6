import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { DELETE_IDS_MAX } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { InvalidInput } from '../errors/errors';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { MailboxesService } from './mailboxes.service';
import { HostRef } from '../hosts/host-ref.pipe';

const ListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  perPage: z.coerce.number().int().min(1).max(200).default(20),
  /** the search as JSON: {criteria: [{field, op, value}], join: and|or} */
  search: z.string().max(10_000).optional(),
});
const SearchBody = z.strictObject({
  page: z.number().int().min(1).default(1),
  perPage: z.number().int().min(1).max(200).default(20),
  search: z.unknown(),
});
const DeleteBody = z.strictObject({ ids: z.array(z.string().min(1).max(200)).min(1).max(DELETE_IDS_MAX) });

/** Users' mailboxes on one host, through its agent (Webmin's "Read User Mail"). */
@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('hosts/:id/mailboxes')
export class MailboxesController {
  constructor(private readonly mailboxes: MailboxesService) {}

  @Get()
  @ApiOperation({ summary: 'Users (passwd and users/assign homes) with mailbox size and message count' })
  users(@Param('id', HostRef) id: string) {
    return this.mailboxes.users(id);
  }

  @Get(':user/messages')
  @ApiOperation({ summary: 'Messages newest first, 20 a page; `search` is a JSON query' })
  list(@Param('id', HostRef) id: string, @Param('user') user: string, @Query(new ZodBody(ListQuery)) q: z.infer<typeof ListQuery>) {
    let search: unknown;
    if (q.search) {
      try {
        search = JSON.parse(q.search);
      } catch {
        throw new InvalidInput('search: not valid JSON', [{ path: 'search', message: 'not valid JSON' }]);
      }
    }
    return this.mailboxes.list(id, { user, page: q.page, perPage: q.perPage, search });
  }

  @Post(':user/search')
  @HttpCode(200)
  @ApiOperation({ summary: 'Search: From, Subject, To, Cc, Date, body, header, whole message, size; AND or OR' })
  search(@Param('id', HostRef) id: string, @Param('user') user: string, @Body(new ZodBody(SearchBody)) body: z.infer<typeof SearchBody>) {
    return this.mailboxes.list(id, { user, page: body.page, perPage: body.perPage, search: body.search });
  }

  @Post(':user/messages/delete')
  @HttpCode(200)
  @RequireRole('operator')
  deleteMany(@Param('id', HostRef) id: string, @Param('user') user: string, @Body(new ZodBody(DeleteBody)) body: z.infer<typeof DeleteBody>, @CurrentActor() actor: Actor) {
    return this.mailboxes.delete(id, user, body.ids, actor);
  }

  @Get(':user/messages/:msgId')
  read(@Param('id', HostRef) id: string, @Param('user') user: string, @Param('msgId') msgId: string) {
    return this.mailboxes.read(id, user, msgId);
  }

  @Get(':user/messages/:msgId/raw')
  raw(@Param('id', HostRef) id: string, @Param('user') user: string, @Param('msgId') msgId: string, @Res() res: Response) {
    return this.mailboxes.download(id, user, msgId, 'raw', res);
  }

  @Get(':user/messages/:msgId/attachments/:index')
  attachment(@Param('id', HostRef) id: string, @Param('user') user: string, @Param('msgId') msgId: string, @Param('index', ParseIntPipe) index: number, @Res() res: Response) {
    return this.mailboxes.download(id, user, msgId, index, res);
  }

  @Delete(':user/messages/:msgId')
  @RequireRole('operator')
  deleteOne(@Param('id', HostRef) id: string, @Param('user') user: string, @Param('msgId') msgId: string, @CurrentActor() actor: Actor) {
    return this.mailboxes.delete(id, user, [msgId], actor);
  }
}
