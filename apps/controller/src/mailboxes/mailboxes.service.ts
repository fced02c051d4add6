import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import {
  AgentRequest,
  MailboxDeleteResultSchema,
  MailboxListResultSchema,
  MailboxReadResultSchema,
  MailboxUsersResultSchema,
  type MailboxListRequest,
} from '@qfleet/protocol';
import { AgentRequests } from '../agents/agent-requests.service';
import { streamChunks } from '../agents/chunked-download';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../auth/roles';

@Injectable()
export class MailboxesService {
  constructor(
    private readonly agents: AgentRequests,
    private readonly audit: AuditService,
  ) {}

  users(hostId: string) {
    return this.agents.ask(hostId, AgentRequest.mailboxUsers, {}, MailboxUsersResultSchema);
  }

  list(hostId: string, request: MailboxListRequest) {
    return this.agents.ask(hostId, AgentRequest.mailboxList, request, MailboxListResultSchema, 120_000);
  }

  read(hostId: string, user: string, id: string) {
    return this.agents.ask(hostId, AgentRequest.mailboxRead, { user, id }, MailboxReadResultSchema);
  }

  download(hostId: string, user: string, id: string, part: 'raw' | number, res: Response) {
    return streamChunks(this.agents, hostId, AgentRequest.mailboxChunk, { user, id, part }, res, part === 'raw' ? `${id}.eml` : `${id}-${part}`);
  }

  async delete(hostId: string, user: string, ids: string[], actor: Actor) {
    const result = await this.agents.ask(hostId, AgentRequest.mailboxDelete, { user, ids }, MailboxDeleteResultSchema, 120_000);
    await this.audit.record({ actor, action: 'mailbox.delete', target: `host:${hostId}`, diff: { user, ...result } });
    return result;
  }
}
