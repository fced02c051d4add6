import { Injectable } from '@nestjs/common';
import { isPending, type ApplyResult, type CreateHost, type CreatedHost, type DriftPolicy, type FleetSummary, type HostListQuery, type HostView, type QmailState, type UpdateHost } from '@qfleet/protocol';
import type { RenderedSet } from '@qfleet/qmail';
import { PrismaService } from '../database/prisma.service';
import { AuditService } from '../audit/audit.service';
import { AgentFanout } from '../agents/agent-fanout';
import { QueueStatsService } from '../stats/queue-stats.service';
import { HostConfigService } from '../host-config/host-config.service';
import { hashToken, newToken } from '../auth/secrets';
import { driftedPaths } from '../host-config/rendered';
import { Conflict, NotFound } from '../errors/errors';
import { PrivilegedPolicy } from '../privileged/privileged-policy';
import type { Actor } from '../auth/roles';
import type { Host } from '../generated/prisma/client';
import { ensureGroups, isUniqueViolation } from './ensure-groups';
import { filterAndSort, pageOf, summarize, type ListedHost } from './host-list';


@Injectable()
export class HostsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly fanout: AgentFanout,
    private readonly queueStats: QueueStatsService,
    private readonly hostConfig: HostConfigService,
    private readonly policy: PrivilegedPolicy,
  ) {}

  /** Creates a host and its one-time enrol token, shown only in this answer. */
  async create(input: CreateHost, actor: Actor): Promise<CreatedHost> {
    const enrollToken = newToken('qfe');
    const existing = await this.prisma.host.findUnique({ where: { name: input.name } });
    if (existing) throw new Conflict(`a host named ${input.name} exists already (id ${existing.id})`);
    await ensureGroups(this.prisma, input.groups ?? []);
    let host: Host;
    try {
      host = await this.prisma.host.create({ data: { name: input.name, groups: input.groups ?? [], enrollTokenHash: hashToken(enrollToken) } });
    } catch (e) {
      // The same name created by a request that ran alongside: the 409 it would have had.
      if (isUniqueViolation(e)) throw new Conflict(`a host named ${input.name} exists already`);
      throw e;
    }
    await this.audit.record({ actor, action: 'host.create', target: `host:${host.id}`, diff: { name: host.name, groups: host.groups } });
    return { id: host.id, name: host.name, groups: host.groups, enrollToken };
  }

  async update(id: string, change: UpdateHost, actor: Actor): Promise<HostView> {
    const before = await this.prisma.host.findUnique({ where: { id } });
    if (!before) throw new NotFound(`no host with id ${id}`);
    if (change.groups) await ensureGroups(this.prisma, change.groups);
    const groups = change.groups;
    const regroup = !!groups && groups.join('\0') !== before.groups.join('\0') && before.desiredRevision > 0;
    // Joining a group hands the host that group's program deliveries and assignments: the
    // caller must be allowed them before the membership changes, not after.
    if (regroup && groups && !this.policy.unrestricted(actor)) {
      const next = await this.hostConfig.preview({ ...before, groups }, (own) => own, { plan: false });
      this.policy.check(actor, next.privileged, `host ${before.name}`);
    }
    await this.prisma.host.update({ where: { id }, data: { groups: change.groups, driftPolicy: change.driftPolicy } });
    await this.audit.record({
      actor,
      action: 'host.update',
      target: `host:${id}`,
      diff: { before: { groups: before.groups, driftPolicy: before.driftPolicy }, after: change },
    });
    // Other groups make another effective document: a new revision, if the host has any.
    if (regroup) await this.hostConfig.rerender(id, actor, 'host.groups');
    return this.get(id);
  }

  async list(): Promise<HostView[]> {
    const hosts = await this.prisma.host.findMany({ orderBy: { name: 'asc' } });
    const [applied, online] = await Promise.all([this.appliedRenderings(hosts), this.fanout.connected(hosts.map((h) => h.id))]);
    return hosts.map((h) => this.view(h, applied.get(h.id), online.has(h.id)));
  }

  /**
   * One page of hosts (issue 13): name and group filtered by the database, the rest on the
   * small columns of the matching hosts and what this controller holds in memory; only the
   * page's hosts are read in full. `total`: the hosts matching the filters.
   */
  async page(query: HostListQuery): Promise<{ hosts: HostView[]; total: number }> {
    const matching = filterAndSort(await this.listed(query), query);
    return { hosts: await this.views(pageOf(matching, query.page, query.pageSize).map((h) => h.id)), total: matching.length };
  }

  async summary(): Promise<FleetSummary> {
    return summarize(await this.listed({}));
  }

  /** The views of these hosts, in this order; ids of hosts that are gone are left out. */
  async views(ids: string[]): Promise<HostView[]> {
    if (!ids.length) return [];
    const rows = await this.prisma.host.findMany({ where: { id: { in: ids } } });
    const [applied, online] = await Promise.all([this.appliedRenderings(rows), this.fanout.connected(rows.map((h) => h.id))]);
    const byId = new Map(rows.map((h) => [h.id, h]));
    return ids.flatMap((id) => {
      const h = byId.get(id);
      return h ? [this.view(h, applied.get(id), online.has(id))] : [];
    });
  }

  /** Every host matching the name and group filters, as the facts the states and sorts read. */
  private async listed(filter: Pick<HostListQuery, 'q' | 'group'>): Promise<ListedHost[]> {
    const rows = await this.prisma.host.findMany({
      where: {
        ...(filter.q ? { name: { contains: filter.q, mode: 'insensitive' as const } } : {}),
        ...(filter.group ? { groups: { has: filter.group } } : {}),
      },
      select: { id: true, name: true, groups: true, desiredRevision: true, appliedRevision: true, failedRevision: true, lastSeen: true, qmail: true, drifted: true, heldRevision: true },
    });
    const online = await this.fanout.connected(rows.map((h) => h.id));
    return rows.map((h) => {
      const q = this.queueStats.latestFor(h.id);
      return {
        id: h.id,
        name: h.name,
        groups: h.groups,
        connected: online.has(h.id),
        desiredRevision: h.desiredRevision,
        appliedRevision: h.appliedRevision,
        failedRevision: h.failedRevision,
        drift: h.drifted,
        held: h.heldRevision !== null && h.heldRevision === h.desiredRevision,
        lastSeen: h.lastSeen,
        qmail: (h.qmail as QmailState | null) ?? null,
        queue: q ? { messages: q.messages, oldestAgeSec: q.oldestAgeSec } : null,
      };
    });
  }

  async get(id: string): Promise<HostView> {
    const host = await this.prisma.host.findUnique({ where: { id } });
    if (!host) throw new NotFound(`no host with id ${id}`);
    const [applied, online] = await Promise.all([this.appliedRenderings([host]), this.fanout.connected([host.id])]);
    return this.view(host, applied.get(host.id), online.has(host.id));
  }

  private async appliedRenderings(hosts: Host[]): Promise<Map<string, RenderedSet>> {
    const wanted = hosts.filter((h) => h.appliedRevision > 0 && h.reportedFiles);
    if (!wanted.length) return new Map();
    const rows = await this.prisma.hostConfig.findMany({
      where: { OR: wanted.map((h) => ({ hostId: h.id, revision: h.appliedRevision })) },
      select: { hostId: true, rendered: true },
    });
    return new Map(rows.map((r) => [r.hostId, r.rendered as unknown as RenderedSet]));
  }

  private queueView(hostId: string): HostView['queue'] {
    const s = this.queueStats.latestFor(hostId);
    return s ? { messages: s.messages, unprocessed: s.unprocessed, local: s.local, remote: s.remote, oldestAgeSec: s.oldestAgeSec, bytes: s.bytes, at: s.at } : null;
  }

  /** `connected`: to any replica (AgentFanout). */
  private view(h: Host, applied: RenderedSet | undefined, connected: boolean): HostView {
    return {
      id: h.id,
      name: h.name,
      groups: h.groups,
      connected,
      lastSeen: h.lastSeen?.toISOString() ?? null,
      desiredRevision: h.desiredRevision,
      appliedRevision: h.appliedRevision,
      failedRevision: h.failedRevision,
      lastApply: (h.lastApply as ApplyResult | null) ?? null,
      driftPolicy: h.driftPolicy as DriftPolicy,
      drift: applied ? driftedPaths(applied, (h.reportedFiles as Record<string, string>) ?? {}) : [],
      agentVersion: h.agentVersion,
      qmail: (h.qmail as QmailState | null) ?? null,
      queue: this.queueView(h.id),
      held: h.heldRevision !== null && h.heldRevision === h.desiredRevision && isPending(h),
    };
  }
}
