import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { DELETE_IDS_MAX, QUEUE_SORTS } from '@qfleet/protocol';
import { ZodBody } from '../errors/zod-body.pipe';
import { CurrentActor } from '../auth/actor.decorator';
import { RequireRole, type Actor } from '../auth/roles';
import { QueueService } from './queue.service';
import { HostRef } from '../hosts/host-ref.pipe';

const ListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  perPage: z.coerce.number().int().min(1).max(200).default(20),
  sort: z.enum(QUEUE_SORTS).default('date'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
const DeleteBody = z.strictObject({ ids: z.array(z.number().int().min(1)).min(1).max(DELETE_IDS_MAX) });

/** One host's queue, as qmail-qread sees it, through its agent (the Webmin "Mail Queue" page). */
@ApiTags('queue')
@ApiBearerAuth()
@Controller('hosts/:id/queue')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  @Get()
  @ApiOperation({ summary: 'Queued messages with all recipients; page, perPage (20), sort date|sender|recipient|size, order' })
  list(@Param('id', HostRef) id: string, @Query(new ZodBody(ListQuery)) q: z.infer<typeof ListQuery>) {
    return this.queue.list(id, q);
  }

  @Post('delete')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Delete messages safely: qmail-send is stopped, every file removed, qmail-send started' })
  deleteMany(@Param('id', HostRef) id: string, @Body(new ZodBody(DeleteBody)) body: z.infer<typeof DeleteBody>, @CurrentActor() actor: Actor) {
    return this.queue.delete(id, body.ids, actor);
  }

  @Post('flush')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Retry the whole queue now (qmail-tcpok, then ALRM)' })
  flush(@Param('id', HostRef) id: string, @CurrentActor() actor: Actor) {
    return this.queue.flush(id, actor);
  }

  @Get(':msgId')
  @ApiOperation({ summary: 'One queued message parsed: headers, text, HTML, attachments' })
  read(@Param('id', HostRef) id: string, @Param('msgId', ParseIntPipe) msgId: number) {
    return this.queue.read(id, msgId);
  }

  @Get(':msgId/raw')
  @ApiOperation({ summary: 'The message file as queued, streamed' })
  raw(@Param('id', HostRef) id: string, @Param('msgId', ParseIntPipe) msgId: number, @Res() res: Response) {
    return this.queue.download(id, msgId, 'raw', res);
  }

  @Get(':msgId/attachments/:index')
  @ApiOperation({ summary: 'One attachment, streamed' })
  attachment(@Param('id', HostRef) id: string, @Param('msgId', ParseIntPipe) msgId: number, @Param('index', ParseIntPipe) index: number, @Res() res: Response) {
    return this.queue.download(id, msgId, index, res);
  }

  @Delete(':msgId')
  @RequireRole('operator')
  deleteOne(@Param('id', HostRef) id: string, @Param('msgId', ParseIntPipe) msgId: number, @CurrentActor() actor: Actor) {
    return this.queue.delete(id, [msgId], actor);
  }
}
