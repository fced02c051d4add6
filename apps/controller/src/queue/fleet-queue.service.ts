import { Injectable } from '@nestjs/common';
import { AgentRequest, QueueDeleteResultSchema, QueueFindResultSchema, type FleetTarget, type HostMatch, type QueueFindRequest } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { hostsOfTarget } from '../hosts/fleet-target';
import { AgentRequests } from '../agents/agent-requests.service';
import { AgentFanout } from '../agents/agent-fanout';
import { AuditService } from '../audit/audit.service';
import { InvalidInput } from '../errors/errors';
import type { Actor } from '../auth/roles';



/**
 * Incidents across the fleet (a compromised account spamming through many hosts): find the
 * queued messages by sender, recipient domain or subject on every targeted host, count them
 * per host first, then delete them, with an audit entry.
 */
@Injectable()
export class FleetQueueService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly agents: AgentRequests,
    private readonly fanout: AgentFanout,
    private readonly audit: AuditService,
  ) {}

  async find(target: FleetTarget, criteria: QueueFindRequest): Promise<{ hosts: HostMatch[]; total: number }> {
    const hosts = await hostsOfTarget(this.prisma, target);
    // Connected to any replica: the request reaches the agent wherever it is.
    const online = await this.fanout.connected(hosts.map((h) => h.id));
    const matches = await Promise.all(
      hosts.map(async (h): Promise<HostMatch> => {
        const base = { hostId: h.id, name: h.name, connected: online.has(h.id), count: 0, ids: [] as number[] };
        if (!base.connected) return { ...base, error: 'not connected' };
        try {
          const found = await this.agents.ask(h.id, AgentRequest.queueFind, criteria, QueueFindResultSchema);
          return { ...base, count: found.count, ids: found.ids };
        } catch (e) {
          return { ...base, error: (e as Error).message };
        }
      }),
    );
    return { hosts: matches, total: matches.reduce((n, m) => n + m.count, 0) };
  }

  async purge(target: FleetTarget, criteria: QueueFindRequest, actor: Actor): Promise<{ hosts: HostMatch[]; total: number; deleted: number }> {
    const found = await this.find(target, criteria);
    const hosts = await Promise.all(
      found.hosts.map(async (m): Promise<HostMatch> => {
        if (!m.ids.length) return m;
        try {
          const r = await this.agents.ask(m.hostId, AgentRequest.queueDelete, { ids: m.ids }, QueueDeleteResultSchema, 180_000);
          return { ...m, deleted: r.deleted.length };
        } catch (e) {
          return { ...m, error: (e as Error).message, deleted: 0 };
        }
      }),
    );
    const deleted = hosts.reduce((n, h) => n + (h.deleted ?? 0), 0);
    await this.audit.record({
      actor,
      action: 'queue.purge',
      target: target.groups?.length ? `groups:${target.groups.join(',')}` : `hosts:${(target.hosts ?? []).length}`,
      diff: { criteria, hosts: hosts.map((h) => ({ host: h.name, found: h.count, deleted: h.deleted ?? 0, error: h.error })) },
    });
    return { hosts, total: found.total, deleted };
  }

}
