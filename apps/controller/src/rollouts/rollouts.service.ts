import { Injectable } from '@nestjs/common';
import { describeProblems, type FieldProblem, type FleetTarget, type HealthGate, type PrivilegedChange, type RolloutHostsQuery, type RolloutPreview, type RolloutPreviewHost, type RolloutSummary, type RolloutView } from '@qfleet/protocol';
import { changeAsLayer, locatePrivileged, privilegedChanges, type Change, type Layer } from '@qfleet/qmail';
import { PrismaService } from '../database/prisma.service';
import { AgentFanout } from '../agents/agent-fanout';
import { AuditService } from '../audit/audit.service';
import { hostsOfTarget, targetedHosts } from '../hosts/fleet-target';
import { mapLimit } from '../hosts/map-limit';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../errors/errors';
import { PrivilegedPolicy } from '../privileged/privileged-policy';
import { actorLabel, type Actor } from '../auth/roles';
import type { Host, Prisma, Rollout } from '../generated/prisma/client';
import { HostConfigService } from '../host-config/host-config.service';
import { heldReason } from '../host-config/rendered';
import { RolloutPlanner, type HostGoal } from './rollout-planner';
import { ANALYZE_AT, analyzeRolloutRows } from './rollout-rows';
import { RolloutRunner } from './rollout-runner.service';
import { FAILED_STATES, summaryOf, talliesOf, viewOf } from './rollout-views';

export interface RolloutOptions {
  target: FleetTarget;
  batchSize: number;
  maxFailures: number;
  dryRun: boolean;
  batchTimeoutSec: number;
  health?: HealthGate;
  overwriteDrift?: boolean;
}

const FINISHED = ['halted', 'cancelled', 'completed'];

/** One host's privileged items (named in its next own document). */
interface HostPrivileged {
  name: string;
  nextOwn: Layer;
  items: PrivilegedChange[];
}
const actorName = (actor: Actor) => actorLabel(actor);

/** Rollouts as the API sees them: create (or dry-run), read, steer, retry and revert. */
@Injectable()
export class RolloutsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly fanout: AgentFanout,
    private readonly audit: AuditService,
    private readonly planner: RolloutPlanner,
    private readonly runner: RolloutRunner,
    private readonly policy: PrivilegedPolicy,
    private readonly config: HostConfigService,
  ) {}

  async create(change: Change, options: RolloutOptions, actor: Actor): Promise<RolloutView | RolloutPreview> {
    if (!change.add && !change.remove && !change.set) throw new InvalidInput('change: give add, remove or set', [{ path: 'change', message: 'give add, remove or set' }]);
    // A dry run decides every host here, from whole rows; a rollout decides them as it sends.
    if (options.dryRun) return this.preview(await hostsOfTarget(this.prisma, options.target), change, options, actor);
    const hosts = await targetedHosts(this.prisma, options.target);
    return this.start({ kind: 'change', parentId: null, change, options, actor, hosts: hosts.map((h) => ({ host: h })) });
  }

  /** Per host: the file diff the change would make, or why the host would be left alone. Touches nothing. */
  private async preview(hosts: Host[], change: Change, { batchSize, overwriteDrift }: Pick<RolloutOptions, 'batchSize' | 'overwriteDrift'>, actor: Actor): Promise<RolloutPreview> {
    const online = await this.fanout.connected(hosts.map((h) => h.id));
    const privileged: HostPrivileged[] = [];
    // One read for all hosts, one rendering and one diff per distinct document and file.
    const batch = await this.config.batch(hosts);
    const rows = await mapLimit(hosts, 10, async (host): Promise<RolloutPreviewHost> => {
      const decision = await this.planner.decide(host, { kind: 'change', change }, {}, batch);
      const held = decision.outcome === 'change' && !overwriteDrift ? await this.planner.heldBy(host, decision.preview, batch) : [];
      if (decision.outcome === 'change') privileged.push({ name: host.name, nextOwn: decision.nextOwn, items: decision.preview.privileged });
      return {
        hostId: host.id,
        name: host.name,
        batch: 0,
        connected: online.has(host.id),
        outcome: held.length ? 'held' : decision.outcome,
        error: held.length ? heldReason(held) : 'error' in decision ? decision.error : null,
        changes: decision.outcome === 'change' ? decision.preview.plan.changes : [],
        postSteps: decision.outcome === 'change' ? decision.preview.plan.postSteps : [],
        warnings: decision.preview?.warnings ?? [],
        privileged: decision.outcome === 'change' ? decision.preview.privileged : [],
      };
    });
    // A dry run the caller could not carry out is refused the same way, so it shows nothing else.
    this.refusePrivileged(change, actor, privileged);
    rows.forEach((r, i) => (r.batch = Math.floor(i / batchSize)));
    return { dryRun: true, batches: Math.ceil(rows.length / batchSize), hosts: rows };
  }

  private async start(spec: {
    kind: 'change' | 'retry' | 'revert';
    parentId: string | null;
    change: Change | { revertOf: string };
    options: Omit<RolloutOptions, 'dryRun'>;
    actor: Actor;
    hosts: { host: Pick<Host, 'id' | 'name'>; restoreRevision?: number; expectRevision?: number }[];
  }): Promise<RolloutView> {
    const { options } = spec;
    const change = 'revertOf' in spec.change ? null : spec.change;
    if (!this.policy.unrestricted(spec.actor)) this.refusePrivileged(change, spec.actor, await this.privilegedOf(spec.hosts, change));
    const rollout = await this.prisma.$transaction(async (tx) => {
      const created = await tx.rollout.create({
        data: {
          kind: spec.kind,
          parentId: spec.parentId,
          status: 'running',
          createdBy: actorName(spec.actor),
          target: options.target as Prisma.InputJsonValue,
          change: spec.change as Prisma.InputJsonValue,
          batchSize: options.batchSize,
          maxFailures: options.maxFailures,
          batchTimeoutSec: options.batchTimeoutSec,
          health: (options.health ?? undefined) as Prisma.InputJsonValue | undefined,
          overwriteDrift: options.overwriteDrift ?? false,
        },
      });
      // One JSON parameter, not Prisma's createMany: binding seven parameters per row was most
      // of a 1,000-host rollout's start.
      await tx.$executeRawUnsafe(
        `INSERT INTO "RolloutHost" ("rolloutId", "hostId", "name", "batch", "position", "restoreRevision", "expectRevision")
         SELECT $1, x."hostId", x."name", x."batch", x."position", x."restoreRevision", x."expectRevision"
           FROM jsonb_to_recordset($2::jsonb) AS x("hostId" text, "name" text, "batch" int, "position" int, "restoreRevision" int, "expectRevision" int)`,
        created.id,
        JSON.stringify(
          spec.hosts.map(({ host, restoreRevision, expectRevision }, i) => ({
            hostId: host.id,
            name: host.name,
            batch: Math.floor(i / options.batchSize),
            position: i,
            restoreRevision: restoreRevision ?? null,
            expectRevision: expectRevision ?? null,
          })),
        ),
      );
      await this.audit.record(
        {
          actor: spec.actor,
          action: `rollout.${spec.kind === 'change' ? 'create' : spec.kind}`,
          target: `rollout:${created.id}`,
          diff: {
            parentId: spec.parentId,
            change: spec.change,
            target: options.target,
            batchSize: options.batchSize,
            maxFailures: options.maxFailures,
            health: options.health,
            ...(options.overwriteDrift ? { overwriteDrift: true } : {}),
            hosts: spec.hosts.map((h) => h.host.name),
            // The change's own program deliveries and assignments; each host's revision records what it brought there.
            ...(change && privilegedChanges({}, changeAsLayer(change)).length ? { privileged: privilegedChanges({}, changeAsLayer(change)).map((p) => ({ ...p, path: `change.add.${p.path}` })) } : {}),
          },
        },
        tx,
      );
      return created;
    });
    if (spec.hosts.length >= ANALYZE_AT) await analyzeRolloutRows(this.prisma);
    this.runner.start(rollout.id);
    return this.get(rollout.id);
  }

  /** The summary (counted by the database) and one page of hosts: at 10,000 hosts every row was 2.3 MB per look. */
  async get(id: string, query: RolloutHostsQuery = { page: 1, pageSize: 100 }): Promise<RolloutView> {
    const rollout = await this.find(id);
    const tallies = (await talliesOf(this.prisma, [id])).get(id) ?? [];
    const total = tallies.filter((t) => !query.state || t.state === query.state).reduce((n, t) => n + t.hosts, 0);
    const rows = await this.prisma.rolloutHost.findMany({
      where: { rolloutId: id, ...(query.state ? { state: query.state } : {}) },
      orderBy: { position: 'asc' },
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    });
    return viewOf(rollout, tallies, rows, query, total);
  }

  async list(limit = 50): Promise<RolloutSummary[]> {
    const rollouts = await this.prisma.rollout.findMany({ orderBy: { createdAt: 'desc' }, take: Math.min(limit, 500) });
    const tallies = await talliesOf(this.prisma, rollouts.map((r) => r.id));
    return rollouts.map((r) => summaryOf(r, tallies.get(r.id) ?? []));
  }

  async pause(id: string, actor: Actor): Promise<RolloutView> {
    return this.move(id, ['running'], 'paused', actor, 'it is not running');
  }

  async cancel(id: string, actor: Actor): Promise<RolloutView> {
    return this.move(id, ['running', 'paused', 'halted'], 'cancelled', actor, 'it has already ended');
  }

  /** Running again from where it stopped; a halted rollout's limit may be raised. */
  async resume(id: string, maxFailures: number | undefined, actor: Actor): Promise<RolloutView> {
    const rollout = await this.find(id);
    // Resuming past a tripped health gate is the operator's call: that batch's gate counts as passed.
    const extra: Prisma.RolloutUpdateManyMutationInput = { finishedAt: null, reason: null, ...(maxFailures !== undefined ? { maxFailures } : {}), ...(rollout.status === 'halted' ? { gatePassed: rollout.batch } : {}) };
    return this.move(id, ['paused', 'halted'], 'running', actor, 'only a paused or halted rollout resumes', extra);
  }

  private async move(id: string, from: string[], to: string, actor: Actor, why: string, extra: Prisma.RolloutUpdateManyMutationInput = {}): Promise<RolloutView> {
    const rollout = await this.find(id);
    const { count } = await this.prisma.rollout.updateMany({
      where: { id, status: { in: from } },
      data: { status: to, ...(to === 'cancelled' ? { finishedAt: new Date(), reason: `cancelled by ${actorName(actor)}` } : {}), ...extra },
    });
    if (!count) throw new Conflict(`rollout ${id} is ${rollout.status}: ${why}`);
    await this.audit.record({ actor, action: `rollout.${to === 'running' ? 'resume' : to === 'paused' ? 'pause' : 'cancel'}`, target: `rollout:${id}`, diff: extra });
    if (to === 'running') this.runner.start(id);
    this.runner.wake();
    await this.runner.publish(id);
    return this.get(id);
  }

  /** A new rollout of the same change to just the hosts that failed. */
  async retry(id: string, actor: Actor, options: Partial<RolloutOptions> = {}): Promise<RolloutView> {
    const parent = await this.finished(id, 'retried');
    const failed = await this.prisma.rolloutHost.findMany({ where: { rolloutId: id, state: { in: [...FAILED_STATES] } }, orderBy: { position: 'asc' } });
    if (!failed.length) throw new Conflict(`no host failed in rollout ${id}`);
    const hosts = await this.prisma.host.findMany({ where: { id: { in: failed.map((f) => f.hostId) } } });
    return this.start({
      kind: 'retry',
      parentId: id,
      change: parent.change as Change,
      options: { ...this.optionsOf(parent), ...options, target: { hosts: hosts.map((h) => h.id) } },
      actor,
      hosts: hosts.map((host) => ({ host })),
    });
  }

  /** A new rollout giving each host the document it had before this one (DESIGN.md: revert is a new revision). */
  async revert(id: string, actor: Actor, options: Partial<RolloutOptions> = {}): Promise<RolloutView> {
    const parent = await this.finished(id, 'reverted');
    const rows = await this.prisma.rolloutHost.findMany({ where: { rolloutId: id, revision: { not: null }, state: { notIn: ['reverted', 'skipped'] } }, orderBy: { position: 'asc' } });
    const changed = rows.filter((r) => r.previousRevision !== null && r.previousRevision !== r.revision);
    if (!changed.length) throw new Conflict(`rollout ${id} changed no host`);
    return this.start({
      kind: 'revert',
      parentId: id,
      change: { revertOf: id },
      // No health gate on the way back: a revert that tripped it would have nowhere to go.
      options: { ...this.optionsOf(parent), health: undefined, ...options, target: { hosts: changed.map((r) => r.hostId) } },
      actor,
      hosts: changed.map((r) => ({ host: { id: r.hostId, name: r.name }, restoreRevision: r.previousRevision ?? 0, expectRevision: r.revision ?? 0 })),
    });
  }

  /**
   * What a rollout would bring each host that runs programs or picks a uid, from the same
   * decision the runner makes (a revert restores documents, which may hold what a later
   * revision took away). The runner stores revisions as the controller, so this is where the
   * caller's role is checked.
   */
  private async privilegedOf(targets: { host: Pick<Host, 'id'>; restoreRevision?: number; expectRevision?: number }[], change: Change | null): Promise<HostPrivileged[]> {
    const hosts = new Map((await this.prisma.host.findMany({ where: { id: { in: targets.map((t) => t.host.id) } } })).map((h) => [h.id, h]));
    const batch = await this.config.batch([...hosts.values()]);
    const found = await mapLimit(targets, 10, async (t): Promise<HostPrivileged | null> => {
      const host = hosts.get(t.host.id);
      if (!host) return null;
      const goal: HostGoal = change ? { kind: 'change', change } : { kind: 'revert', restoreRevision: t.restoreRevision ?? 0, expectRevision: t.expectRevision ?? 0 };
      const d = await this.planner.decide(host, goal, { plan: false }, batch);
      return d.outcome === 'change' && d.preview.privileged.length ? { name: host.name, nextOwn: d.nextOwn, items: d.preview.privileged } : null;
    });
    return found.filter((f): f is HostPrivileged => f !== null);
  }

  /** 403 naming each item the caller may not make: by its path in the change, else by host. */
  private refusePrivileged(change: Change | null, actor: Actor, found: HostPrivileged[]): void {
    const fields = new Map<string, FieldProblem>();
    const layer = change ? changeAsLayer(change) : undefined;
    for (const h of found) {
      const named = h.items.map((item) => ({ ...item, path: (!item.path.startsWith('effective.') && locatePrivileged(item, h.nextOwn, layer, 'change.add.')) || `hosts.${h.name}.${item.path}` }));
      for (const p of this.policy.refused(actor, named)) if (!fields.has(p.path)) fields.set(p.path, p);
    }
    if (fields.size) throw new Forbidden(`privileged change refused: ${describeProblems([...fields.values()])}`, [...fields.values()]);
  }

  private optionsOf(r: Rollout): Omit<RolloutOptions, 'dryRun'> {
    return { target: r.target as FleetTarget, batchSize: r.batchSize, maxFailures: r.maxFailures, batchTimeoutSec: r.batchTimeoutSec, health: (r.health as HealthGate | null) ?? undefined, overwriteDrift: r.overwriteDrift };
  }

  private async finished(id: string, verb: string): Promise<Rollout> {
    const rollout = await this.find(id);
    if (!FINISHED.includes(rollout.status)) throw new Conflict(`rollout ${id} is ${rollout.status}: only a halted, cancelled or completed rollout can be ${verb} (pause and cancel it first)`);
    return rollout;
  }

  private async find(id: string): Promise<Rollout> {
    const rollout = /^[0-9a-f-]{36}$/i.test(id) ? await this.prisma.rollout.findUnique({ where: { id } }) : null;
    if (!rollout) throw new NotFound(`no rollout with id ${id}`);
    return rollout;
  }
}
