import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { DELETE_IDS_MAX, MAX_SEARCH_TEXT_LENGTH } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { InvalidInput } from '../errors/errors';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { MailboxesService } from './mailboxes.service';
import { HostRef } from '../hosts/host-ref.pipe';

const ListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  perPage: z.coerce.number().int().min(1).max(200).default(20),
  /** the simple search: text in From, Subject or To (`from: text` for one field) */
  q: z.string().min(1).max(MAX_SEARCH_TEXT_LENGTH).optional(),
  /** the advanced search as JSON: {criteria: [{field, op, value}], join: and|or} */
  search: z.string().max(10_000).optional(),
});
const SearchBody = z
  .strictObject({
    page: z.number().int().min(1).default(1),
    perPage: z.number().int().min(1).max(200).default(20),
    q: z.string().min(1).max(MAX_SEARCH_TEXT_LENGTH).optional(),
    search: z.unknown().optional(),
  })
  .refine((b) => (b.q === undefined) !== (b.search === undefined), { message: 'give q (the simple search) or search (the advanced one)', path: ['q'] });
const oneSearch = (q: string | undefined, search: unknown) => {
  if (q !== undefined && search !== undefined) throw new InvalidInput('q: give q or search, not both', [{ path: 'q', message: 'give q or search, not both' }]);
};
const DeleteBody = z.strictObject({ ids: z.array(z.string().min(1).max(200)).min(1).max(DELETE_IDS_MAX) });

/** Users' mailboxes on one host, through its agent (Webmin's "Read User Mail"). */
@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('hosts/:id/mailboxes')
export class MailboxesController {
  constructor(private readonly mailboxes: MailboxesService) {}

  @Get()
  @ApiOperation({ summary: 'The mailboxes that exist (users/assign and passwd homes, ~alias deliveries), each with its format, size and message count' })
  users(@Param('id', HostRef) id: string) {
    return this.mailboxes.users(id);
  }

  @Get(':user/messages')
  @ApiOperation({ summary: 'Messages newest first, 20 a page; `q` is the simple search (From, Subject, To), `search` a JSON query' })
  list(@Param('id', HostRef) id: string, @Param('user') user: string, @Query(new ZodBody(ListQuery)) q: z.infer<typeof ListQuery>) {
    let search: unknown;
    if (q.search) {
      try {
        search = JSON.parse(q.search);
      } catch {
        throw new InvalidInput('search: not valid JSON', [{ path: 'search', message: 'not valid JSON' }]);
      }
    }
    oneSearch(q.q, search);
    return this.mailboxes.list(id, { user, page: q.page, perPage: q.perPage, ...(q.q === undefined ? {} : { q: q.q }), search });
  }

  @Post(':user/search')
  @HttpCode(200)
  @ApiOperation({ summary: 'Search: `q` (text in From, Subject or To), or `search`: From, Subject, To, Cc, Date, body, header, whole message, size; AND or OR' })
  search(@Param('id', HostRef) id: string, @Param('user') user: string, @Body(new ZodBody(SearchBody)) body: z.infer<typeof SearchBody>) {
    return this.mailboxes.list(id, { user, page: body.page, perPage: body.perPage, ...(body.q === undefined ? {} : { q: body.q }), search: body.search });
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
