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
import type { Host, Prisma } from '../generated/prisma/client';
import { ensureGroups, isUniqueViolation } from './ensure-groups';
import { factsOfView, filterAndSort, LIVE_SORTS, pageOf, summarize, type ListedHost } from './host-list';
import { FleetFacts } from './fleet-facts';

/** What a HostView is made of: not the secrets, and not the reported hashes (driftOf reads those where a view shows drift). */
const VIEW_COLUMNS = {
  id: true,
  name: true,
  groups: true,
  lastSeen: true,
  desiredRevision: true,
  appliedRevision: true,
  failedRevision: true,
  lastApply: true,
  driftPolicy: true,
  agentVersion: true,
  qmail: true,
  heldRevision: true,
  drifted: true,
} satisfies Prisma.HostSelect;
type ViewRow = Prisma.HostGetPayload<{ select: typeof VIEW_COLUMNS }>;

@Injectable()
export class HostsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly fanout: AgentFanout,
    private readonly queueStats: QueueStatsService,
    private readonly hostConfig: HostConfigService,
    private readonly policy: PrivilegedPolicy,
    private readonly facts: FleetFacts,
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
    this.forgetStoredFacts();
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
    this.forgetStoredFacts();
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
    return this.viewsOf(await this.prisma.host.findMany({ select: VIEW_COLUMNS, orderBy: { name: 'asc' } }));
  }

  /**
   * One page of hosts (issue 13): name and group filtered by the database, the rest on the
   * small columns of the matching hosts and what this controller holds in memory; only the
   * page's hosts are read in full. `total`: the hosts matching the filters.
   */
  async page(query: HostListQuery): Promise<{ hosts: HostView[]; total: number }> {
    // Connection and queue figures are set on every matching host only when the states or the
    // sort read them; the page's own hosts get theirs in their views.
    const live = !!query.state?.length || LIVE_SORTS.includes(query.sort);
    const matching = filterAndSort(await this.listed(query, { live, byName: true }), query, true);
    const views = await this.views(pageOf(matching, query.page, query.pageSize).map((h) => h.id));
    // The facts sorted on may be a second older than the views (a report's lastSeen): the page
    // is put in the order of the values it shows.
    const byId = new Map(views.map((v) => [v.id, v]));
    const ordered = filterAndSort(views.map(factsOfView), { ...query, state: undefined }).map((f) => byId.get(f.id)!);
    return { hosts: ordered, total: matching.length };
  }

  async summary(): Promise<FleetSummary> {
    return summarize(await this.listed({}, { live: true, byName: false }));
  }

  /** The views of these hosts, in this order; ids of hosts that are gone are left out. */
  async views(ids: string[]): Promise<HostView[]> {
    if (!ids.length) return [];
    const views = await this.viewsOf(await this.prisma.host.findMany({ where: { id: { in: ids } }, select: VIEW_COLUMNS }));
    const byId = new Map(views.map((v) => [v.id, v]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * Every host matching the name and group filters, as the facts the states and sorts read.
   * The cached rows are brought up to date in place (connection, queue figures) rather than
   * copied: 10,000 fresh objects a request were most of a page's CPU, and its garbage.
   */
  private async listed(filter: Pick<HostListQuery, 'q' | 'group'>, want: { live: boolean; byName: boolean }): Promise<ListedHost[]> {
    const needle = filter.q?.toLowerCase();
    const all = want.byName ? await this.facts.byName() : await this.facts.all();
    const rows = needle || filter.group ? all.filter((h) => (!needle || h.lower.includes(needle)) && (!filter.group || h.groups.includes(filter.group))) : all;
    if (!want.live) return rows;
    const online = await this.fanout.connected(rows.map((h) => h.id));
    // No await from here until the caller has sorted: no other request sees these fields half set.
    for (const h of rows) {
      h.connected = online.has(h.id);
      h.queue = this.queueStats.latestFor(h.id) ?? null;
    }
    return rows;
  }

  /** Called after a write to hosts, so the next page shows it. */
  forgetStoredFacts(): void {
    this.facts.forget();
  }

  async get(id: string): Promise<HostView> {
    const host = await this.prisma.host.findUnique({ where: { id }, select: VIEW_COLUMNS });
    if (!host) throw new NotFound(`no host with id ${id}`);
    return (await this.viewsOf([host]))[0];
  }

  /** The views of these rows, in their order: their drift paths and connections asked together. */
  private async viewsOf(rows: ViewRow[]): Promise<HostView[]> {
    const [drift, online] = await Promise.all([this.driftOf(rows), this.fanout.connected(rows.map((h) => h.id))]);
    return rows.map((h) => this.view(h, drift.get(h.id), online.has(h.id)));
  }

  /**
   * The drifted paths of the hosts whose drift count is not zero, from their reported hashes and
   * applied rendering read together. Every write of the reported hashes sets that count with
   * them (a report from the same comparison, an ok ack to zero), so a host counted clean has
   * no paths to show: a page or the whole list of a fleet without drift reads no rendering and
   * no hashes, where it read every listed host's (the bytes of every file, to compare hashes).
   */
  private async driftOf(hosts: ViewRow[]): Promise<Map<string, string[]>> {
    const ids = hosts.filter((h) => h.drifted > 0 && h.appliedRevision > 0).map((h) => h.id);
    if (!ids.length) return new Map();
    const rows = await this.prisma.$queryRawUnsafe<{ id: string; reportedFiles: unknown; rendered: unknown }[]>(
      `SELECT h."id", h."reportedFiles", c."rendered"
         FROM "Host" h JOIN "HostConfig" c ON c."hostId" = h."id" AND c."revision" = h."appliedRevision"
        WHERE h."id" IN (SELECT jsonb_array_elements_text($1::jsonb)) AND jsonb_typeof(h."reportedFiles") = 'object'`,
      JSON.stringify(ids),
    );
    return new Map(rows.map((r) => [r.id, driftedPaths(r.rendered as RenderedSet, r.reportedFiles as Record<string, string>)]));
  }

  /** A view with the host's latest queue figures (a `/ui` delta for a host that only sent queue figures). */
  withLatestQueue(view: HostView): HostView {
    return { ...view, queue: this.queueView(view.id) };
  }

  private queueView(hostId: string): HostView['queue'] {
    const s = this.queueStats.latestFor(hostId);
    return s ? { messages: s.messages, unprocessed: s.unprocessed, local: s.local, remote: s.remote, oldestAgeSec: s.oldestAgeSec, bytes: s.bytes, at: s.at } : null;
  }

  /** `connected`: to any replica (AgentFanout). */
  private view(h: ViewRow, drift: string[] | undefined, connected: boolean): HostView {
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
      drift: drift ?? [],
      agentVersion: h.agentVersion,
      qmail: (h.qmail as QmailState | null) ?? null,
      queue: this.queueView(h.id),
      held: h.heldRevision !== null && h.heldRevision === h.desiredRevision && isPending(h),
    };
  }
}
