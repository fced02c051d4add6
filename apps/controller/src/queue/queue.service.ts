import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import {
  AgentRequest,
  QueueDeleteResultSchema,
  QueueFlushResultSchema,
  QueueListResultSchema,
  QueueReadResultSchema,
  type QueueListRequest,
} from '@qfleet/protocol';
import { AgentRequests } from '../agents/agent-requests.service';
import { streamChunks } from '../agents/chunked-download';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../auth/roles';

// Stopping qmail-send waits for deliveries in progress, which can take over a minute (QMAIL.md §5).
const DELETE_TIMEOUT_MS = 180_000;

@Injectable()
export class QueueService {
  constructor(
    private readonly agents: AgentRequests,
    private readonly audit: AuditService,
  ) {}

  list(hostId: string, q: QueueListRequest) {
    return this.agents.ask(hostId, AgentRequest.queueList, q, QueueListResultSchema);
  }

  read(hostId: string, id: number) {
    return this.agents.ask(hostId, AgentRequest.queueRead, { id }, QueueReadResultSchema);
  }

  download(hostId: string, id: number, part: 'raw' | number, res: Response) {
    return streamChunks(this.agents, hostId, AgentRequest.queueChunk, { id, part }, res, part === 'raw' ? `${id}.eml` : `${id}-${part}`);
  }

  async delete(hostId: string, ids: number[], actor: Actor) {
    const result = await this.agents.ask(hostId, AgentRequest.queueDelete, { ids }, QueueDeleteResultSchema, DELETE_TIMEOUT_MS);
    await this.audit.record({ actor, action: 'queue.delete', target: `host:${hostId}`, diff: result });
    return result;
  }

  async flush(hostId: string, actor: Actor) {
    const result = await this.agents.ask(hostId, AgentRequest.queueFlush, {}, QueueFlushResultSchema);
    await this.audit.record({ actor, action: 'queue.flush', target: `host:${hostId}`, diff: result });
    return result;
  }
}
