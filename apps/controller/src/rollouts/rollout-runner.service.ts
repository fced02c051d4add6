import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AGENT_RECONNECT_MAX_MS, type ApplyAck, type HealthGate } from '@qfleet/protocol';
import type { Change } from '@qfleet/qmail';
import { PrismaService } from '../database/prisma.service';
import { AgentFanout } from '../agents/agent-fanout';
import { ApplyDispatcher } from '../agents/apply-dispatcher.service';
import { HostConfigService } from '../host-config/host-config.service';
import { QueueStatsService } from '../stats/queue-stats.service';
import { UiGateway } from '../ui/ui.gateway';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import type { Host, Rollout, RolloutHost } from '../generated/prisma/client';
import type { RevisionToStore } from '../host-config/host-config.service';
import { heldReason, type StoredRendering } from '../host-config/rendered';
import type { RenderMemo } from '../host-config/render-memo';
import type { RevisionMark } from '../host-config/revision-statement';
import { markRows, type RowMark } from './rollout-rows';
import { plannedHosts, RolloutPlanner, type HostGoal, type PlannedHost } from './rollout-planner';
import { FAILED_STATES, OPEN_STATES, summaryOf, talliesOf } from './rollout-views';

const LEASE_MS = 15_000;

/** A chunk of a batch, decided and not yet stored. */
interface ChunkPlan {
  marks: RowMark[];
  toStore: (RevisionToStore & { mark: RevisionMark })[];
  nudge: PlannedHost[];
  memo: RenderMemo;
}

/** What reconcile reads of a rollout row and its host. */
interface ReconcileRow {
  rolloutId: string;
  hostId: string;
  state: string;
  revision: number;
  appliedRevision: number;
  failedRevision: number | null;
  /** the host was last seen before this controller started (see `reconnecting`) */
  seenBeforeStart: boolean;
  /** the host's last ack, only when it failed the row's revision */
  lastApply: unknown;
}
const POLL_MS = 500;
/** A batch's rows are all looked at again this often (an agent gone without a word); acks move rows as they come. */
const SWEEP_BATCH_MS = 2_000;
/** Acks that move rollout rows are gathered this long: one query for many hosts. */
const RECONCILE_MS = 50;
/**
 * A batch's pending hosts are decided, stored and sent this many at a time: the first agents
 * apply while later chunks are prepared (at 10,000 hosts everything was stored before the
 * first send), and a crash loses at most one chunk's transaction.
 */
const SEND_CHUNK = 500;

/**
 * Runs rollouts batch by batch. Everything a rollout knows is in the database (its batch, each
 * host's state and revision, stored in the same transaction as the revision itself), so a
 * controller that stops mid-rollout resumes where it was: hosts already sent are waited for,
 * never sent again. A lease on the rollout row keeps replicas from running one rollout twice.
 */
@Injectable()
export class RolloutRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('rollout');
  private readonly me = randomUUID();
  private readonly startedAt = new Date();
  private readonly active = new Set<string>();
  private readonly sleepers = new Set<() => void>();
  private readonly pendingPublish = new Set<string>();
  private readonly toReconcile = new Set<string>();
  private reconciling?: Promise<void>;
  private sweepTimer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly prisma: PrismaService,
    private readonly fanout: AgentFanout,
    private readonly dispatcher: ApplyDispatcher,
    private readonly config: HostConfigService,
    private readonly planner: RolloutPlanner,
    private readonly queueStats: QueueStatsService,
    private readonly ui: UiGateway,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    // A late ack, or a host that converges after it reconnects, moves its rollout rows on.
    this.dispatcher.progress.on('host', (hostId: string) => void this.reconcileHost(hostId).catch((e: Error) => this.logger.warn(`host ${hostId}: ${e.message}`)));
  }

  async onApplicationBootstrap(): Promise<void> {
    // The embedded database has one process by its lock file: a claim left by a killed
    // controller is stale at once. With PostgreSQL a claim lapses with its lease.
    if (!this.settings.databaseUrl) await this.prisma.rollout.updateMany({ where: { runner: { not: null } }, data: { runner: null, leaseUntil: null } });
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep().catch((e: Error) => this.logger.warn(`sweep: ${e.message}`)), LEASE_MS / 2);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.wake();
    await this.prisma.rollout.updateMany({ where: { runner: this.me }, data: { runner: null, leaseUntil: null } }).catch(() => undefined);
  }

  /** Starts (or resumes) a running rollout in this process, unless it already runs here. */
  start(id: string): void {
    if (this.active.has(id) || this.stopping) return;
    this.active.add(id);
    void this.run(id)
      .catch((e: Error) => this.logger.error(`rollout ${id}: ${e.message}`))
      .finally(() => {
        this.active.delete(id);
        void this.prisma.rollout.updateMany({ where: { id, runner: this.me }, data: { runner: null, leaseUntil: null } }).catch(() => undefined);
      });
  }

  /** Tells waiting loops to look again (a pause, a cancel, an ack). */
  wake(): void {
    for (const s of [...this.sleepers]) s();
  }

  async publish(id: string): Promise<void> {
    const rollout = await this.prisma.rollout.findUnique({ where: { id } });
    if (!rollout) return;
    this.ui.rolloutProgress(summaryOf(rollout, (await talliesOf(this.prisma, [id])).get(id) ?? []));
  }

  private async sweep(): Promise<void> {
    const running = await this.prisma.rollout.findMany({ where: { status: 'running' }, select: { id: true } });
    for (const { id } of running) this.start(id);
  }

  private async claim(id: string): Promise<boolean> {
    const now = new Date();
    const { count } = await this.prisma.rollout.updateMany({
      where: { id, status: 'running', OR: [{ runner: null }, { runner: this.me }, { leaseUntil: { lt: now } }] },
      data: { runner: this.me, leaseUntil: new Date(now.getTime() + LEASE_MS) },
    });
    return count === 1;
  }

  /** Renews this runner's claim now and then while a batch waits, so no other replica takes the rollout over. */
  private renewer(id: string): () => Promise<void> {
    let renewed = Date.now();
    return async () => {
      if (Date.now() - renewed <= LEASE_MS / 3) return;
      await this.claim(id);
      renewed = Date.now();
    };
  }

  private async run(id: string): Promise<void> {
    while (!this.stopping && (await this.claim(id))) {
      const rollout = await this.prisma.rollout.findUniqueOrThrow({ where: { id } });
      const batchRows = await this.prisma.rolloutHost.findMany({ where: { rolloutId: id, batch: rollout.batch }, orderBy: { position: 'asc' } });
      if (!batchRows.length) {
        await this.finish(rollout, 'completed', null);
        return;
      }
      this.logger.log(`rollout ${id}: batch ${rollout.batch + 1}, ${batchRows.length} host(s)`);
      const pending = batchRows.filter((r) => r.state === 'pending');
      if (pending.length) await this.sendBatch(rollout, pending, await this.fanout.connected(pending.map((r) => r.hostId)));
      await this.publish(id);
      await this.waitForBatch(rollout);
      if (this.stopping) return;

      const failures = await this.prisma.rolloutHost.count({ where: { rolloutId: id, state: { in: [...FAILED_STATES] } } });
      if (failures > rollout.maxFailures) {
        await this.finish(rollout, 'halted', `${failures} host(s) failed, more than maxFailures ${rollout.maxFailures}`);
        return;
      }
      // A pause or cancel during the batch: stop here; a resume picks up at the gate.
      if (!(await this.stillRunning(id))) return;
      const gate = rollout.health as HealthGate | null;
      if (gate && rollout.gatePassed < rollout.batch) {
        const tripped = await this.healthGate(rollout, gate);
        if (this.stopping) return;
        if (tripped) {
          const reverted = gate.onFail === 'revert' ? await this.revertBatch(rollout) : 0;
          await this.finish(rollout, 'halted', `health gate after batch ${rollout.batch + 1}: ${tripped}${gate.onFail === 'revert' ? `; ${reverted} host(s) of the batch reverted` : ''}`);
          return;
        }
        await this.prisma.rollout.update({ where: { id }, data: { gatePassed: rollout.batch } });
      }
      // The next batch; a pause or cancel that came meanwhile stops the loop at the claim.
      await this.prisma.rollout.update({ where: { id }, data: { batch: rollout.batch + 1 } });
      await this.publish(id);
    }
  }

  private async stillRunning(id: string): Promise<boolean> {
    return (await this.prisma.rollout.findUnique({ where: { id }, select: { status: true } }))?.status === 'running';
  }

  private async finish(rollout: Rollout, status: 'completed' | 'halted', reason: string | null): Promise<void> {
    // Only a running rollout moves on: a cancel that came first stays. The claim is released in
    // the same statement, so the view a watcher reads on "completed" is the rollout's last.
    await this.prisma.rollout.updateMany({ where: { id: rollout.id, status: 'running' }, data: { status, reason, finishedAt: new Date(), runner: null, leaseUntil: null } });
    this.logger.log(`rollout ${rollout.id}: ${status}${reason ? ` (${reason})` : ''}`);
    await this.publish(rollout.id);
  }

  private goalOf(rollout: Rollout, row: RolloutHost): HostGoal {
    return rollout.kind === 'revert'
      ? { kind: 'revert', restoreRevision: row.restoreRevision ?? 0, expectRevision: row.expectRevision ?? 0 }
      : { kind: 'change', change: rollout.change as Change };
  }

  /**
   * The pending hosts of a batch, a chunk at a time, so the first hosts get their revision
   * while later chunks are still decided and stored: each chunk is decided from one read of
   * its hosts, their revisions and groups (hosts of the same revision content and groups share
   * one decision and rendering), then every new revision and every row's record of it stored
   * in one transaction, so they exist together or not at all (a controller killed meanwhile
   * resumes with the rows of the chunks not stored still pending and their hosts not bumped),
   * then sent.
   */
  private async sendBatch(rollout: Rollout, pending: RolloutHost[], online: Set<string>): Promise<void> {
    // Renderings marked overwriteDrift, one per shared rendering (not a copy per host).
    const overwriting = new WeakMap<StoredRendering, StoredRendering>();
    // Chunk k+1 is read and decided while chunk k is stored: the database's time and the
    // controller's overlap instead of adding up (their hosts differ, so neither waits on the other).
    let next: Promise<ChunkPlan> | undefined = this.planChunk(rollout, pending.slice(0, SEND_CHUNK), online, overwriting);
    for (let i = 0; next && !this.stopping; i += SEND_CHUNK) {
      const plan: ChunkPlan = await next;
      const following = i + SEND_CHUNK < pending.length ? pending.slice(i + SEND_CHUNK, i + 2 * SEND_CHUNK) : [];
      next = following.length ? this.planChunk(rollout, following, online, overwriting) : undefined;
      // Settled here too, so a failed store does not leave the next plan's failure unhandled.
      next?.catch(() => undefined);
      await this.storeChunk(rollout, plan);
    }
  }

  /** Decides a chunk of pending hosts from one read of them: the rows to mark, the revisions to store, the hosts to nudge. */
  private async planChunk(rollout: Rollout, pending: RolloutHost[], online: Set<string>, overwriting: WeakMap<StoredRendering, StoredRendering>): Promise<ChunkPlan> {
    const hosts = await plannedHosts(this.prisma, pending.map((r) => r.hostId));
    const batch = await this.config.batch([...hosts.values()]);
    const now = new Date();
    const marks: RowMark[] = [];
    const toStore: ChunkPlan['toStore'] = [];
    const nudge: PlannedHost[] = [];
    const reachable = (host: PlannedHost) => online.has(host.id) || this.reconnecting(host);
    const overwrite = (r: StoredRendering): StoredRendering => {
      let o = overwriting.get(r);
      if (!o) overwriting.set(r, (o = { ...r, overwriteDrift: true }));
      return o;
    };
    for (const row of pending) {
      const host = hosts.get(row.hostId);
      if (!host) {
        marks.push({ hostId: row.hostId, state: 'skipped', error: 'the host was deleted', doneAt: now });
        continue;
      }
      const stats = this.queueStats.latestFor(host.id);
      const sent = { sentAt: now, queueBefore: stats?.messages ?? null, oldestBefore: stats?.oldestAgeSec ?? null };
      const decision = await this.planner.decide(host, this.goalOf(rollout, row), { plan: false }, batch);
      if (decision.outcome === 'skipped' || decision.outcome === 'invalid') {
        marks.push({ hostId: host.id, ...sent, state: decision.outcome === 'invalid' ? 'failed' : 'skipped', error: decision.error, doneAt: now });
      } else if (decision.outcome === 'unchanged') {
        // The host's document already has the change; it only has to be on the host.
        const revision = host.desiredRevision;
        const latest = batch.latest.get(host.id);
        const held = host.appliedRevision < revision && !rollout.overwriteDrift && latest ? await this.planner.heldBy(host, { ...decision.preview, rendering: latest.rendered as unknown as StoredRendering }, batch) : [];
        const state = host.appliedRevision >= revision ? 'unchanged' : held.length ? 'held' : reachable(host) ? 'applying' : 'offline';
        marks.push({ hostId: host.id, ...sent, state, revision, previousRevision: revision, error: held.length ? heldReason(held) : null, doneAt: state === 'unchanged' ? now : null });
        if (state !== 'unchanged' && !held.length) nudge.push(host);
      } else if (decision.outcome === 'change') {
        this.config.admit(decision.preview, this.actorOf(rollout));
        // Drifted files this revision would overwrite: stored, but held until the operator decides
        // (the dispatcher holds it by the same rule), unless the rollout overwrites on purpose.
        const held = rollout.overwriteDrift ? [] : await this.planner.heldBy(host, decision.preview, batch);
        const prepared = rollout.overwriteDrift ? { ...decision.preview, rendering: overwrite(decision.preview.rendering) } : decision.preview;
        const state = held.length ? 'held' : reachable(host) ? 'applying' : 'offline';
        toStore.push({ host, own: decision.nextOwn, prepared, mark: { ...sent, state, error: held.length ? heldReason(held) : null } });
      }
    }
    return { marks, toStore, nudge, memo: batch.memo };
  }

  /** Stores a decided chunk (the revisions and their rows in one transaction) and sends it. */
  private async storeChunk(rollout: Rollout, { marks, toStore, nudge, memo }: ChunkPlan): Promise<void> {
    const action = rollout.kind === 'revert' ? 'rollout.revert' : 'rollout.apply';
    if (marks.length) await markRows(this.prisma, rollout.id, marks);
    // The revisions and their rows' marks in one statement: they exist together or not at all.
    const stored = await this.config.storeRevisions(toStore, this.actorOf(rollout), action, rollout.id, memo);
    // A host deleted between the read and the store: no revision, so no record of one.
    const gone = toStore.filter((t) => !stored.has(t.host.id));
    if (gone.length) await markRows(this.prisma, rollout.id, gone.map((t) => ({ hostId: t.host.id, state: 'skipped', error: 'the host was deleted', doneAt: new Date() })));
    for (const h of nudge) void (h.failedRevision === h.desiredRevision ? this.dispatcher.retry(h.id) : this.dispatcher.sync(h.id, { force: rollout.overwriteDrift }));
  }

  /**
   * A host this controller has not seen yet, though one before it did, while its agents may
   * still be coming back: a controller restarted mid-rollout finds every agent reconnecting
   * (each on its own backoff, up to AGENT_RECONNECT_MAX_MS apart), and calling them offline
   * would let the batch end without them and the next batch start before they applied. Such a
   * host is waited for like a connected one (it gets its revision on its hello) until the time
   * is up; a host that went away after this controller started, or never connected, is offline
   * at once.
   */
  private reconnecting(host: Pick<Host, 'lastSeen'> | boolean): boolean {
    const seenBeforeStart = typeof host === 'boolean' ? host : host.lastSeen !== null && host.lastSeen < this.startedAt;
    return seenBeforeStart && Date.now() - this.startedAt.getTime() < AGENT_RECONNECT_MAX_MS;
  }

  private actorOf(rollout: Rollout): string {
    return `${rollout.createdBy} [rollout ${rollout.id}]`;
  }

  /** Until every online host of the batch answered, or the batch's time is up. */
  private async waitForBatch(rollout: Rollout): Promise<void> {
    const deadline = Date.now() + rollout.batchTimeoutSec * 1000;
    const renew = this.renewer(rollout.id);
    let swept = 0;
    for (;;) {
      // Acks move their rows as they come (reconcileHost); the whole batch is read only now and then.
      if (Date.now() - swept >= SWEEP_BATCH_MS) {
        swept = Date.now();
        if ((await this.reconcile({ rolloutId: rollout.id, batch: rollout.batch })).size) this.publishSoon(rollout.id);
      }
      const waiting = await this.prisma.rolloutHost.count({ where: { rolloutId: rollout.id, batch: rollout.batch, state: 'applying' } });
      if (waiting === 0 || this.stopping) return;
      if (Date.now() > deadline) {
        await this.prisma.rolloutHost.updateMany({
          where: { rolloutId: rollout.id, batch: rollout.batch, state: 'applying' },
          data: { state: 'timeout', error: `no acknowledgement within ${rollout.batchTimeoutSec} s`, doneAt: new Date() },
        });
        await this.publish(rollout.id);
        return;
      }
      await renew();
      await this.nap(Math.min(POLL_MS, Math.max(0, swept + SWEEP_BATCH_MS - Date.now())));
    }
  }

  /** Gathers the hosts whose acks came within RECONCILE_MS, then moves their rows with one read. */
  private reconcileHost(hostId: string): Promise<void> {
    this.toReconcile.add(hostId);
    this.reconciling ??= new Promise<void>((resolve) => setTimeout(resolve, RECONCILE_MS)).then(async () => {
      const hostIds = [...this.toReconcile];
      this.toReconcile.clear();
      this.reconciling = undefined;
      const touched = await this.reconcile({ hostIds });
      for (const id of touched) this.publishSoon(id);
      if (touched.size) this.wake();
    });
    return this.reconciling;
  }

  /** A batch of acks gives one progress event, not one per host: at most one per rollout per 250 ms. */
  private publishSoon(id: string): void {
    if (this.pendingPublish.has(id)) return;
    this.pendingPublish.add(id);
    setTimeout(() => {
      this.pendingPublish.delete(id);
      void this.publish(id).catch(() => undefined);
    }, 250).unref();
  }

  /**
   * Moves rows that wait for a host on, from the host's own record: applied once the host's
   * applied revision reached the row's, failed when that revision failed, offline when the
   * agent went away before it answered. Returns the rollouts whose rows moved.
   *
   * One read of the rows and their hosts' few columns that judging needs, and one UPDATE per
   * kind of move, the hosts as one JSON parameter: the sweep of a 10,000-host batch read every
   * open row and host through Prisma every 2 s, and each gathered set of acks built IN lists
   * of thousands of parameters.
   */
  private async reconcile(scope: { rolloutId: string; batch: number } | { hostIds: string[] }): Promise<Set<string>> {
    const open = OPEN_STATES.map((st) => `'${st}'`).join(', ');
    // The rows still open: of the hosts whose acks came, each looked up by its own id (a
    // lateral subquery kept apart by OFFSET 0, so the planner cannot turn it into a join whose
    // order depends on statistics that a running rollout makes stale at once: planned as a
    // semi-join, 1,000 open rows were compared with 950 ids each, 240 ms a read); or a batch's.
    const [rowsOf, params] =
      'hostIds' in scope
        ? [
            `jsonb_array_elements_text($2::jsonb) AS i(id)
             CROSS JOIN LATERAL (SELECT * FROM "RolloutHost" o WHERE o."hostId" = i.id AND o."state" IN (${open}) AND o."revision" IS NOT NULL OFFSET 0) r`,
            [JSON.stringify(scope.hostIds)],
          ]
        : [`(SELECT * FROM "RolloutHost" o WHERE o."rolloutId" = $2 AND o."batch" = $3 AND o."state" IN (${open}) AND o."revision" IS NOT NULL) r`, [scope.rolloutId, scope.batch]];
    const rows = await this.prisma.$queryRawUnsafe<ReconcileRow[]>(
      `SELECT r."rolloutId", r."hostId", r."state", r."revision", h."appliedRevision", h."failedRevision",
              (h."lastSeen" IS NOT NULL AND h."lastSeen" < $1::timestamp(3)) AS "seenBeforeStart",
              CASE WHEN h."failedRevision" = r."revision" THEN h."lastApply" END AS "lastApply"
         FROM ${rowsOf} JOIN "Host" h ON h."id" = r."hostId"`,
      this.startedAt.toISOString(),
      ...params,
    );
    const touched = new Set<string>();
    if (!rows.length) return touched;
    // Which agents are still there, asked only when some host has yet to answer.
    const waiting = rows.filter((r) => r.state === 'applying' && r.appliedRevision < r.revision).map((r) => r.hostId);
    const online = waiting.length ? await this.fanout.connected(waiting) : new Set<string>();
    // Rows moving the same way are written together, each conditional on the state read, so
    // two reconcilers never undo each other.
    const moves = new Map<string, { rolloutId: string; from: string; to: string; error: string | null; done: boolean; hostIds: string[] }>();
    for (const row of rows) {
      let to: { to: string; error: string | null; done: boolean } | undefined;
      if (row.appliedRevision >= row.revision) to = { to: 'applied', error: null, done: true };
      else if (row.failedRevision === row.revision) {
        const err = (row.lastApply as ApplyAck | null)?.error;
        to = { to: 'failed', error: err ? `${err.step}${err.file ? ` (${err.file})` : ''}: ${err.message}` : 'the apply failed', done: true };
      } else if (row.state === 'applying' && !online.has(row.hostId) && !this.reconnecting(row.seenBeforeStart)) to = { to: 'offline', error: null, done: false };
      if (!to || to.to === row.state) continue;
      const key = JSON.stringify([row.rolloutId, row.state, to.to, to.error]);
      const move = moves.get(key) ?? { rolloutId: row.rolloutId, from: row.state, ...to, hostIds: [] };
      move.hostIds.push(row.hostId);
      moves.set(key, move);
    }
    const doneAt = new Date().toISOString();
    // The ids as one array compared by the index, not a semi-join with the JSON list: planned
    // on a new rollout's statistics (a handful of rows) that was a nested loop over all of the
    // rollout's rows for each id (40 ms a move of 200 hosts at 10,000).
    for (const m of moves.values()) {
      // An offline row keeps its error and doneAt (it may still answer); the others are done.
      const count = m.done
        ? await this.prisma.$executeRawUnsafe(
            `UPDATE "RolloutHost" SET "state" = $3, "error" = $4::text, "doneAt" = $5::timestamp(3)
              WHERE "rolloutId" = $1 AND "state" = $2 AND "hostId" = ANY (ARRAY(SELECT jsonb_array_elements_text($6::jsonb)))`,
            m.rolloutId,
            m.from,
            m.to,
            m.error,
            doneAt,
            JSON.stringify(m.hostIds),
          )
        : await this.prisma.$executeRawUnsafe(
            `UPDATE "RolloutHost" SET "state" = $3 WHERE "rolloutId" = $1 AND "state" = $2 AND "hostId" = ANY (ARRAY(SELECT jsonb_array_elements_text($4::jsonb)))`,
            m.rolloutId,
            m.from,
            m.to,
            JSON.stringify(m.hostIds),
          );
      if (count) touched.add(m.rolloutId);
    }
    return touched;
  }

  /**
   * Watches the batch's hosts for the settle period. A signal trips when it passes its limit,
   * having been within it when the batch started. Returns why it tripped, or null.
   */
  private async healthGate(rollout: Rollout, gate: HealthGate): Promise<string | null> {
    const rows = await this.prisma.rolloutHost.findMany({ where: { rolloutId: rollout.id, batch: rollout.batch, state: { in: ['applied', 'unchanged'] } } });
    const baseline = new Map(rows.map((r) => [r.hostId, r.queueBefore]));
    const end = Date.now() + gate.settleSeconds * 1000;
    const renew = this.renewer(rollout.id);
    while (!this.stopping) {
      for (const row of rows) {
        const now = this.queueStats.latestFor(row.hostId);
        if (!now) continue;
        const before = baseline.get(row.hostId) ?? now.messages;
        baseline.set(row.hostId, before);
        if (gate.maxQueueGrowth !== undefined && now.messages - before > gate.maxQueueGrowth)
          return `${row.name}: the queue grew by ${now.messages - before} messages (limit ${gate.maxQueueGrowth})`;
        const wasOver = row.oldestBefore !== null && row.oldestBefore > (gate.maxOldestAgeSec ?? Infinity);
        if (gate.maxOldestAgeSec !== undefined && now.oldestAgeSec !== null && now.oldestAgeSec > gate.maxOldestAgeSec && !wasOver)
          return `${row.name}: the oldest queued message is ${Math.round(now.oldestAgeSec)} s old (limit ${gate.maxOldestAgeSec} s)`;
      }
      if (Date.now() >= end) return null;
      await renew();
      await this.nap(1000);
    }
    return null;
  }

  /** The health gate's revert: each host of the batch back to the document it had before. */
  private async revertBatch(rollout: Rollout): Promise<number> {
    const rows = await this.prisma.rolloutHost.findMany({ where: { rolloutId: rollout.id, batch: rollout.batch, state: { in: ['applied', 'applying', 'offline'] } } });
    let reverted = 0;
    for (const row of rows) {
      if (row.revision === null || row.previousRevision === null || row.revision === row.previousRevision) continue;
      const host = await this.prisma.host.findUnique({ where: { id: row.hostId } });
      if (!host) continue;
      const decision = await this.planner.decide(host, { kind: 'revert', restoreRevision: row.previousRevision, expectRevision: row.revision }, { plan: false });
      if (decision.outcome !== 'change') continue;
      await this.config.storeRevision(host, decision.nextOwn, `${rollout.createdBy} [rollout ${rollout.id}, health gate]`, 'rollout.revert', (tx) =>
        tx.rolloutHost.update({ where: { rolloutId_hostId: { rolloutId: rollout.id, hostId: row.hostId } }, data: { state: 'reverted', error: 'reverted by the health gate', doneAt: new Date() } }),
        decision.preview,
      );
      reverted++;
    }
    return reverted;
  }

  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
