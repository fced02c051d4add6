import { Injectable, Logger } from '@nestjs/common';
import { describeProblems, parseFields, preconditionHolds, staleMessage, type ConfigDryRunView, type HostDocument, type PrivilegedChange, type RevisionPrecondition, type WriteResult } from '@qfleet/protocol';
import { LayerSchema, locatePrivileged, mergeLayers, normaliseLayer, privilegedChanges, type Layer, type RenderedSet } from '@qfleet/qmail';
import { PrismaService } from '../database/prisma.service';
import { AuditService } from '../audit/audit.service';
import { ApplyDispatcher, type HostToSend, type StoredToSend } from '../agents/apply-dispatcher.service';
import { InvalidInput, NotFound, StaleRevision } from '../errors/errors';
import { PrivilegedPolicy } from '../privileged/privileged-policy';
import { documentDiff } from './bounded-diff';
import { actorLabel, type Actor } from '../auth/roles';
import type { Host, HostConfig, Prisma } from '../generated/prisma/client';
import type { FieldProblem } from '@qfleet/protocol';
import { mergePatch } from './merge-patch';
import { EMPTY_RENDERING, hostFilesAsRendering, withDroppedAliases, withKept, withPostSteps, type StoredRendering } from './rendered';
import { planApply, type Plan } from './plan';
import { RenderMemo } from './render-memo';
import { storeRevisionChunk, type BumpedHost, type RevisionChunk, type RevisionMark, type RevisionRow } from './revision-statement';
import { SharedValues } from '../database/shared-values';
import { valuesByKey } from '../database/once-per-key';

/** How an API write of a document is made: `dryRun` stores nothing; `ifMatch`, the revisions it may start from (If-Match). */
export interface ConfigWriteOptions {
  dryRun?: boolean;
  ifMatch?: RevisionPrecondition;
}

/** Thrown inside the storing transaction when the revision moved; turned into StaleRevision once it rolled back. */
class RevisionMoved extends Error {}

/** At most this many hosts' revisions in one transaction: bounded statements, and a crash loses at most one chunk's work (never half of a host's). */
const STORE_CHUNK = 500;

/**
 * What one operation over many hosts (a group change, a rollout batch, a dry run) reads once
 * for all of them: each host's latest revision, the groups' documents, and one rendering per
 * distinct effective document.
 */
export interface RevisionBatch {
  latest: Map<string, HostConfig | null>;
  /**
   * Per host, a key of its latest revision's content (document, effective, rendering): hosts
   * with the same key were given the same revision, and their rows share one parsed copy.
   */
  contentKeys: Map<string, string>;
  groups: Map<string, Layer>;
  memo: RenderMemo;
  /** previews shared by hosts of the same content key and groups, per kind of next document (see `preview`) */
  shared: WeakMap<object, Map<string, SharedPreview>>;
}

/** The part of a preview that depends only on the latest revision's content, the groups and the next document. */
interface SharedPreview {
  prepared: Omit<PreparedRevision, 'previous'>;
  own: Layer;
  nextOwn: Layer;
  effectiveBefore: HostDocument;
}

/** A rerender's `next`: the latest own document as it is (its shared previews are keyed by this). */
const RERENDER = {};

/** One host's next revision, prepared, to be stored with others in one statement per table. */
export interface RevisionToStore {
  host: { id: string };
  /** the host's new own document (a preview's `own` is the current one: its `nextOwn` is this) */
  own: Layer;
  prepared: PreparedRevision;
}

/** A new own document made ready to store: merged with the host's groups, checked, rendered. */
export interface PreparedRevision {
  own: Layer;
  effective: HostDocument;
  errors: FieldProblem[];
  warnings: FieldProblem[];
  rendering: StoredRendering;
  /** program deliveries and assignments it adds or alters over the latest revision, named in `own` where it holds them */
  privileged: PrivilegedChange[];
  /** the latest revision it follows (its rendering decides the post-steps and carried removals) */
  previous: HostConfig | null;
}

export interface RevisionPreview extends PreparedRevision {
  /** the host's latest revision and own document now */
  revision: number;
  own: Layer;
  nextOwn: Layer;
  effectiveBefore: HostDocument;
  plan: Plan;
}

/**
 * How a revision is made beyond its document: `hostFiles`, the host's files as just read (an
 * import, an adopt), whose bytes are kept where they mean what the document says (issue 12);
 * `overwriteDrift`, the revision is sent even over files edited on the host.
 */
export interface RevisionOptions {
  hostFiles?: Record<string, string>;
  overwriteDrift?: boolean;
}

/** A host's own desired-state document: stored as numbered revisions, rendered, pushed. */
@Injectable()
export class HostConfigService {
  private readonly logger = new Logger('config');

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly dispatcher: ApplyDispatcher,
    private readonly policy: PrivilegedPolicy,
  ) {}

  async get(hostId: string): Promise<{ revision: number; document: HostDocument }> {
    await this.requireHost(hostId);
    const latest = await this.latest(hostId);
    return { revision: latest?.revision ?? 0, document: (latest?.document as HostDocument) ?? {} };
  }

  async put(hostId: string, document: HostDocument, actor: Actor, action = 'config.put', opts?: RevisionOptions): Promise<WriteResult> {
    const host = await this.requireHost(hostId);
    const prepared = opts ? await this.prepareFor(host, document, opts) : undefined;
    return this.storeRevision(host, document, actor, action, undefined, prepared);
  }

  /** What storing `own` would make of the host (its rendering, checks), without storing anything. */
  async prepareFor(host: Pick<Host, 'id' | 'groups'> | string, own: HostDocument, opts: RevisionOptions = {}): Promise<PreparedRevision> {
    const h = typeof host === 'string' ? await this.requireHost(host) : host;
    return this.prepare(await this.groupLayersOf(h.groups), own, await this.latest(h.id), undefined, opts);
  }

  /**
   * A document as the API received it, checked whole: the schema's problems and, for the
   * fields the schema accepts, qmail's (validateDocument), in one 400 (issue 12, point 6).
   */
  async putInput(hostId: string, payload: unknown, actor: Actor, action = 'config.put', opts: ConfigWriteOptions = {}): Promise<WriteResult | ConfigDryRunView> {
    const host = await this.requireHost(hostId);
    // A precondition is decided before the content (RFC 9110 13.2.1): a stale editor hears
    // that first, not about fields of a document it must reload anyway.
    if (!preconditionHolds(opts.ifMatch, host.desiredRevision)) throw await this.stale(hostId, opts.ifMatch!);
    const parsed = parseFields(LayerSchema, payload);
    if (parsed.ok) return opts.dryRun ? this.dryRun(host, parsed.value, actor) : this.storeRevision(host, parsed.value, actor, action, undefined, undefined, opts.ifMatch);
    let problems = parsed.problems;
    if (parsed.rest) {
      const { errors } = this.prepare(await this.groupLayersOf(host.groups), parsed.rest, await this.latest(hostId));
      problems = problems.concat(errors);
    }
    throw new InvalidInput(`invalid configuration: ${describeProblems(problems)}`, problems);
  }

  /**
   * What a write of this document would do, refused as the write would be, nothing stored:
   * `qfleet config set` shows it before it asks (issue 12, point 7).
   */
  private async dryRun(host: Host, document: Layer, actor: Actor): Promise<ConfigDryRunView> {
    const p = await this.preview(host, () => document);
    this.admit(p, actor);
    const unmanaged = Object.keys(p.own)
      .filter((k) => !(k in p.nextOwn))
      .sort();
    return { dryRun: true, revision: p.revision, warnings: p.warnings, privileged: p.privileged, unmanaged, changes: p.plan.changes, postSteps: p.plan.postSteps };
  }

  /**
   * A new revision from the host's latest own document, after its groups or their
   * documents changed (the effective document is what gets rendered).
   */
  async rerender(hostId: string, actor: Actor | string, action: string): Promise<WriteResult> {
    const host = await this.requireHost(hostId);
    const latest = await this.latest(hostId);
    return this.storeRevision(host, (latest?.document as HostDocument) ?? {}, actor, action);
  }

  /** The host's groups in its order, then the host's own document, merged (DESIGN.md Contract). */
  async effective(hostId: string): Promise<{ document: HostDocument; origin: Record<string, string>; layers: string[] }> {
    const host = await this.requireHost(hostId);
    const latest = await this.latest(hostId);
    const layers = await this.layersOf(host.groups, (latest?.document as HostDocument) ?? {});
    return { ...mergeLayers(layers), layers: layers.map((l) => l.source) };
  }

  /**
   * What a new own document would make of a host, without storing anything: the effective
   * document checked and rendered, and (with `plan`) the file plan against the files the host
   * reported. Rollouts preview and apply through this one function, so a dry run is the real
   * code; the real run hands the result to `storeRevision` and nothing is computed twice.
   * `history: false` takes the old text of files from the latest rendering only (no further
   * read: a group's dry run counts its members beyond the first ones that way).
   */
  async preview(
    host: Pick<Host, 'id' | 'groups' | 'reportedFiles'>,
    next: (own: Layer, groupLayers: Layer[]) => Layer,
    opts: { plan?: boolean; history?: boolean } & RevisionOptions = {},
    batch?: RevisionBatch,
    nextKind?: object,
  ): Promise<RevisionPreview> {
    const wantPlan = opts.plan ?? true;
    const [latest, groupLayers] = batch?.latest.has(host.id)
      ? [batch.latest.get(host.id) ?? null, host.groups.filter((g) => batch.groups.has(g)).map((g) => batch.groups.get(g)!)]
      : await Promise.all([this.latest(host.id), this.groupLayersOf(host.groups)]);
    const make = (): SharedPreview => {
      const own = (latest?.document as Layer) ?? {};
      const nextOwn = normaliseLayer(next(own, groupLayers));
      const { previous: _previous, ...prepared } = this.prepare(groupLayers, nextOwn, latest, batch?.memo, opts);
      const effectiveBefore = mergeLayers([...groupLayers.map((document) => ({ source: 'group', document })), { source: 'host', document: own }]).document;
      return { prepared, own, nextOwn, effectiveBefore };
    };
    // `next` is the same function of (own, groups) for every host given the same `nextKind`
    // (one rollout's change): hosts of the same revision content and groups share the result.
    const shared = nextKind && !opts.hostFiles ? this.shared(host, batch, nextKind, opts.overwriteDrift ? 'o' : '', make) : make();
    const { own, nextOwn, effectiveBefore } = shared;
    const prepared: PreparedRevision = { ...shared.prepared, previous: latest };
    const { errors, rendering } = prepared;
    const reported = (host.reportedFiles as Record<string, string> | null) ?? {};
    let plan: Plan = { changes: [], postSteps: [] };
    if (wantPlan && !errors.length) {
      // Older renderings give the old text of a file whose hash the host reported; the latest
      // one mostly has it, and the older ones are read only when it does not.
      const diffs = batch?.memo;
      plan = planApply(rendering, reported, latest ? [latest.rendered as unknown as RenderedSet] : [], diffs);
      if ((opts.history ?? true) && plan.changes.some((c) => c.action === 'modify' && c.diff === undefined) && (latest?.revision ?? 0) > 1) {
        const known = await this.prisma.hostConfig.findMany({ where: { hostId: host.id }, orderBy: { revision: 'desc' }, take: 20 });
        plan = planApply(rendering, reported, known.map((r) => r.rendered as unknown as RenderedSet), diffs);
      }
    }
    return { ...prepared, revision: latest?.revision ?? 0, own, nextOwn, effectiveBefore, plan };
  }

  /**
   * A shared preview from the batch, made once per (content key, groups, kind, variant): the
   * members of a group mostly share their latest revision's content, and merging, checking,
   * rendering and diffing it again per host was most of a bulk operation's own CPU. Without a
   * content key (a host read outside the batch) it is made for the host alone.
   */
  private shared(host: Pick<Host, 'id' | 'groups'>, batch: RevisionBatch | undefined, nextKind: object, variant: string, make: () => SharedPreview): SharedPreview {
    const content = batch?.contentKeys.get(host.id);
    if (!batch || content === undefined) return make();
    let byKey = batch.shared.get(nextKind);
    if (!byKey) batch.shared.set(nextKind, (byKey = new Map()));
    const key = `${content}\0${variant}\0${host.groups.join('\0')}`;
    let hit = byKey.get(key);
    if (!hit) byKey.set(key, (hit = make()));
    return hit;
  }

  /**
   * Reads once what previews and stores over these hosts need: their latest revisions (the one
   * numbered by desiredRevision: storeRevision(s) write both in one transaction) and their groups.
   */
  async batch(hosts: Pick<Host, 'id' | 'groups' | 'desiredRevision'>[]): Promise<RevisionBatch> {
    const latest = new Map<string, HostConfig | null>(hosts.map((h) => [h.id, null]));
    const contentKeys = new Map<string, string>();
    const withRevision = hosts.filter((h) => h.desiredRevision > 0);
    const contents = new Map<string, Pick<HostConfig, 'document' | 'effective' | 'rendered'>>();
    for (let i = 0; i < withRevision.length; i += 1000) {
      // A join on a JSON list, not a 1,000-way OR that Prisma builds and PostgreSQL plans each
      // time. The database keys each row's content (jsonb's text is canonical) and sends the
      // JSON of the first row of each key only: the members of a group mostly hold the same
      // revision content, and parsing it once per host was a megabyte per thousand hosts.
      const rows = await this.prisma.$queryRawUnsafe<(Omit<HostConfig, 'document' | 'effective' | 'rendered'> & Partial<Pick<HostConfig, 'document' | 'effective' | 'rendered'>> & { contentKey: string; first: boolean })[]>(
        `WITH s AS (
           SELECT c."id", c."hostId", c."revision", c."createdBy", c."createdAt", c."document", c."effective", c."rendered", k."contentKey",
                  row_number() OVER (PARTITION BY k."contentKey" ORDER BY c."hostId") = 1 AS "first"
             FROM "HostConfig" c
             JOIN jsonb_to_recordset($1::jsonb) AS x("hostId" text, "revision" int) ON c."hostId" = x."hostId" AND c."revision" = x."revision"
             CROSS JOIN LATERAL (SELECT md5(c."document"::text || ' ' || coalesce(c."effective"::text, '-') || ' ' || c."rendered"::text) AS "contentKey") k)
         SELECT "id", "hostId", "revision", "createdBy", "createdAt", "contentKey", "first",
                CASE WHEN "first" THEN "document" END AS "document", CASE WHEN "first" THEN "effective" END AS "effective", CASE WHEN "first" THEN "rendered" END AS "rendered"
           FROM s`,
        JSON.stringify(withRevision.slice(i, i + 1000).map((h) => ({ hostId: h.id, revision: h.desiredRevision }))),
      );
      for (const r of rows) if (r.first && !contents.has(r.contentKey)) contents.set(r.contentKey, { document: r.document ?? null, effective: r.effective ?? null, rendered: r.rendered ?? null });
      for (const { contentKey, first: _first, ...r } of rows) {
        const content = contents.get(contentKey);
        if (!content) continue;
        latest.set(r.hostId, { ...r, ...content } as HostConfig);
        contentKeys.set(r.hostId, contentKey);
      }
    }
    // A host whose counter moved since it was read: its own latest, the slow way.
    for (const h of withRevision) if (!latest.get(h.id)) latest.set(h.id, await this.latest(h.id));
    const names = [...new Set(hosts.flatMap((h) => h.groups))];
    const rows = names.length ? await this.prisma.group.findMany({ where: { name: { in: names } } }) : [];
    // Hosts with no revision yet share the empty one.
    for (const h of hosts) if (h.desiredRevision === 0) contentKeys.set(h.id, 'none');
    return { latest, contentKeys, groups: new Map(rows.map((g) => [g.name, g.document as Layer])), memo: new RenderMemo(), shared: new WeakMap() };
  }

  /**
   * The next revision of a host whose groups or their documents changed, from its latest own
   * document, prepared against a batch read (the effective document is what gets rendered).
   */
  prepareRerender(host: Pick<Host, 'id' | 'groups'>, batch: RevisionBatch): PreparedRevision {
    const latest = batch.latest.get(host.id) ?? null;
    const groupLayers = host.groups.filter((g) => batch.groups.has(g)).map((g) => batch.groups.get(g)!);
    const shared = this.shared(host, batch, RERENDER, '', () => {
      const own = (latest?.document as Layer) ?? {};
      const { previous: _previous, ...prepared } = this.prepare(groupLayers, own, latest, batch.memo);
      return { prepared, own, nextOwn: own, effectiveBefore: {} };
    });
    return { ...shared.prepared, previous: latest };
  }

  /** The effective document of a new own document, checked and rendered against the latest revision. */
  private prepare(groupLayers: Layer[], ownAsGiven: Layer, previous: HostConfig | null, memo = new RenderMemo(), opts: RevisionOptions = {}): PreparedRevision {
    const own = normaliseLayer(ownAsGiven);
    const { document: effective } = mergeLayers([...groupLayers.map((document) => ({ source: 'group', document })), { source: 'host', document: own }]);
    const { errors, warnings, rendered } = memo.check(effective);
    const before = (previous?.rendered as unknown as StoredRendering) ?? EMPTY_RENDERING;
    let rendering: StoredRendering = { ...EMPTY_RENDERING };
    if (rendered) {
      const next = withKept(before, withDroppedAliases(before, rendered, effective.aliases !== undefined), effective, opts.hostFiles);
      // After an import the host's files are the "before": post-steps only for what really changes.
      rendering = withPostSteps(opts.hostFiles ? hostFilesAsRendering(opts.hostFiles, before.removes) : before, next);
    }
    if (opts.overwriteDrift) rendering = { ...rendering, overwriteDrift: true };
    // Against what the host was last given, so a group's entry that a removal or another group
    // now lets through counts as well as what the caller wrote.
    const privileged = privilegedIn(previousEffective(previous), effective, own);
    return { own, effective, errors, warnings, rendering, privileged, previous };
  }

  /** What one revision of a host rendered to, or null. */
  async renderingAt(hostId: string, revision: number): Promise<StoredRendering | null> {
    const row = await this.prisma.hostConfig.findUnique({ where: { hostId_revision: { hostId, revision } }, select: { rendered: true } });
    return row ? (row.rendered as unknown as StoredRendering) : null;
  }

  /** The host's own document as stored with one revision (0: the empty document). */
  async documentAt(hostId: string, revision: number): Promise<Layer | null> {
    if (revision === 0) return {};
    const row = await this.prisma.hostConfig.findUnique({ where: { hostId_revision: { hostId, revision } } });
    return row ? (row.document as Layer) : null;
  }

  private async layersOf(groups: string[], own: HostDocument) {
    const rows = groups.length ? await this.prisma.group.findMany({ where: { name: { in: groups } } }) : [];
    const byName = new Map(rows.map((g) => [g.name, g.document as HostDocument]));
    return [...groups.filter((g) => byName.has(g)).map((g) => ({ source: `group:${g}`, document: byName.get(g)! })), { source: 'host', document: own }];
  }

  private async groupLayersOf(groups: string[]): Promise<Layer[]> {
    return (await this.layersOf(groups, {})).slice(0, -1).map((l) => l.document);
  }

  /**
   * Stores the next revision of a host and sends it. `alongside` runs in the same transaction,
   * so a rollout's record of the revision and the revision itself exist together or not at all.
   */
  async storeRevision(
    host: { id: string; groups: string[] },
    own: HostDocument,
    actor: Actor | string,
    action: string,
    alongside?: (tx: Prisma.TransactionClient, revision: number, previous: number) => Promise<unknown>,
    prepared?: PreparedRevision,
    /** the revisions the write may follow (If-Match): checked by the statement that numbers the new one */
    ifMatch?: RevisionPrecondition,
  ): Promise<WriteResult> {
    const hostId = host.id;
    const ready = prepared ?? this.prepare(await this.groupLayersOf(host.groups), own, await this.latest(hostId));
    const { effective, errors, warnings, rendering, privileged, previous } = ready;
    if (errors.length) throw new InvalidInput(`invalid configuration: ${describeProblems(errors)}`, errors);
    this.policy.check(actor, privileged);
    const by = actorLabel(actor);
    const revision = await this.prisma.$transaction(async (tx) => {
      const updated = ifMatch && !ifMatch.any ? await this.bumpFrom(tx, hostId, ifMatch.revisions) : await tx.host.update({ where: { id: hostId }, data: { desiredRevision: { increment: 1 } } });
      await tx.hostConfig.create({
        data: {
          hostId,
          revision: updated.desiredRevision,
          document: normaliseLayer(own) as Prisma.InputJsonValue,
          effective: effective as Prisma.InputJsonValue,
          rendered: rendering as unknown as Prisma.InputJsonValue,
          createdBy: by,
        },
      });
      await this.audit.record(
        {
          actor,
          action,
          target: `host:${hostId}`,
          // `privileged` marks the entry for the audit list's filter (issue 10, hole 5).
          diff: { revision: updated.desiredRevision, document: documentDiff(previous?.effective ?? previous?.document, effective), ...(privileged.length ? { privileged } : {}) },
        },
        tx,
      );
      await alongside?.(tx, updated.desiredRevision, previous?.revision ?? 0);
      return updated.desiredRevision;
    }).catch(async (e: unknown) => {
      throw e instanceof RevisionMoved && ifMatch ? await this.stale(hostId, ifMatch) : e;
    });
    this.logger.log(`host ${hostId}: revision ${revision} stored by ${by} (${action})`);
    void this.dispatcher.sync(hostId);
    return { revision, warnings, privileged };
  }

  /**
   * The next revision number, only if the host is still at one of `from`: one conditional
   * UPDATE, so of two writes that started from the same revision the second waits for the
   * first's row lock, re-reads the row and matches nothing (PostgreSQL's read committed).
   */
  private async bumpFrom(tx: Prisma.TransactionClient, hostId: string, from: number[]): Promise<{ desiredRevision: number }> {
    const rows = await tx.$queryRawUnsafe<{ desiredRevision: number }[]>(
      `UPDATE "Host" SET "desiredRevision" = "desiredRevision" + 1, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE "id" = $1 AND "desiredRevision" IN (SELECT jsonb_array_elements_text($2::jsonb)::int) RETURNING "desiredRevision"`,
      hostId,
      JSON.stringify(from),
    );
    if (!rows.length) throw new RevisionMoved();
    return { desiredRevision: Number(rows[0].desiredRevision) };
  }

  /** The 412 of a write whose If-Match the host's revision has moved past: where it is now and who stored that. */
  private async stale(hostId: string, ifMatch: RevisionPrecondition): Promise<StaleRevision> {
    const [host, latest] = await Promise.all([
      this.prisma.host.findUnique({ where: { id: hostId }, select: { name: true } }),
      this.prisma.hostConfig.findFirst({ where: { hostId }, orderBy: { revision: 'desc' }, select: { revision: true, createdBy: true, createdAt: true } }),
    ]);
    const current = { revision: latest?.revision ?? 0, by: latest?.createdBy ?? null, at: latest?.createdAt.toISOString() ?? null };
    return new StaleRevision(staleMessage(`the configuration of host ${host?.name ?? hostId}`, ifMatch as RevisionPrecondition & { any: false }, current), current);
  }

  /** Refuses a prepared revision the way storeRevision does: invalid, or privileged beyond the actor's role. */
  admit(prepared: PreparedRevision, actor: Actor | string): void {
    if (prepared.errors.length) throw new InvalidInput(`invalid configuration: ${describeProblems(prepared.errors)}`, prepared.errors);
    this.policy.check(actor, prepared.privileged);
  }

  /**
   * Stores the next revision of many hosts and sends them: per chunk of hosts one statement
   * (storeRevisionChunk) bumps the counters and writes the revisions, the audit entries and,
   * given `rolloutId`, each item's `mark` in its rollout row, so a rollout's rows and the
   * revisions they name exist together or not at all. Every item must have passed `admit`.
   * Hosts deleted meanwhile are left out of the answer.
   */
  async storeRevisions(
    items: (RevisionToStore & { mark?: RevisionMark })[],
    actor: Actor | string,
    action: string,
    rolloutId?: string,
    memo = new RenderMemo(),
  ): Promise<Map<string, WriteResult>> {
    const by = actorLabel(actor);
    const results = new Map<string, WriteResult>();
    for (let i = 0; i < items.length; i += STORE_CHUNK) {
      const chunk = items.slice(i, i + STORE_CHUNK);
      // Each distinct content and diff (by object: hosts of a bulk change share theirs) is sent
      // once and named by its index.
      const contents = new SharedValues<RevisionChunk['contents'][number]>();
      const diffs = new SharedValues<unknown>();
      const rows = chunk.map(({ host, own, prepared: { previous, effective, rendering, privileged }, mark }): RevisionRow => {
        const document = normalisedOnce(own);
        const before = previous?.effective ?? previous?.document;
        // Members of a group mostly make the same diff: computed once per distinct pair (of shared objects).
        const diff = memo.diff(before, effective, () => documentDiff(before, effective));
        return {
          hostId: host.id,
          k: contents.indexOf([document, effective, rendering], () => ({ document, effective, rendered: rendering })),
          // `privileged` marks the entry for the audit list's filter.
          d: diffs.indexOf([diff, privileged.length ? privileged : null], () => ({ document: diff, ...(privileged.length ? { privileged } : {}) })),
          previous: previous?.revision ?? 0,
          mark,
        };
      });
      const bumped = await retryOnDeadlock(() => storeRevisionChunk(this.prisma, { rows, contents: contents.list, diffs: diffs.list, by, action, rolloutId }));
      const stored = new Map(bumped.map((b) => [b.id, { revision: Number(b.desiredRevision) }]));
      for (const it of chunk) {
        const s = stored.get(it.host.id);
        if (s) results.set(it.host.id, { revision: s.revision, warnings: it.prepared.warnings, privileged: it.prepared.privileged });
      }
      this.logger.log(`${stored.size} host(s): new revision stored by ${by} (${action})`);
      this.dispatcher.sendStored(toSend(bumped, chunk, stored));
    }
    return results;
  }

  /** RFC 7386: a `null` in the patch deletes the member, so the field is no longer managed (its file is left as it is). */
  async patch(hostId: string, patch: unknown, actor: Actor, opts: ConfigWriteOptions = {}): Promise<WriteResult | ConfigDryRunView> {
    const { document } = await this.get(hostId);
    return this.putInput(hostId, mergePatch(document, patch), actor, 'config.patch', opts);
  }

  async plan(hostId: string): Promise<Plan & { desiredRevision: number; appliedRevision: number; reportedAt: Date | null; privileged: PrivilegedChange[] }> {
    const host = await this.requireHost(hostId);
    const revisions = await this.prisma.hostConfig.findMany({ where: { hostId }, orderBy: { revision: 'desc' }, take: 20 });
    const desired = revisions.find((r) => r.revision === host.desiredRevision);
    const next = (desired?.rendered as unknown as StoredRendering) ?? EMPTY_RENDERING;
    const reported = (host.reportedFiles as Record<string, string> | null) ?? {};
    const plan = planApply(next, reported, revisions.map((r) => r.rendered as unknown as RenderedSet));
    // What the next apply brings that runs programs or picks a uid, over what the host applied.
    const applied = host.appliedRevision === 0 ? null : (revisions.find((r) => r.revision === host.appliedRevision) ?? (await this.prisma.hostConfig.findUnique({ where: { hostId_revision: { hostId, revision: host.appliedRevision } } })));
    const privileged = desired ? privilegedIn(previousEffective(applied), (desired.effective as HostDocument | null) ?? (desired.document as HostDocument), desired.document as HostDocument) : [];
    return { desiredRevision: host.desiredRevision, appliedRevision: host.appliedRevision, reportedAt: host.lastSeen, ...plan, privileged };
  }

  private latest(hostId: string) {
    return this.prisma.hostConfig.findFirst({ where: { hostId }, orderBy: { revision: 'desc' } });
  }

  private async requireHost(hostId: string) {
    const host = await this.prisma.host.findUnique({ where: { id: hostId } });
    if (!host) throw new NotFound(`no host with id ${hostId}`);
    return host;
  }
}

/**
 * Runs a transaction again when PostgreSQL broke a deadlock by aborting it: a chunk's bump of
 * 500 host rows and the batched ack and report writes (one UPDATE of many host rows each) lock
 * rows in no common order, and at 10,000 agents reporting a group change met one. The aborted
 * transaction stored nothing, so running it again is safe.
 */
async function retryOnDeadlock<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (e) {
      if (i >= attempts || !/40P01|deadlock detected/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 50 * i));
    }
  }
}

/**
 * What the dispatcher sends for a stored chunk: each stored host's row from the bump (reported
 * hashes shared by key, one parsed copy), its new rendering, and the rendering it applied when
 * that is the revision the new one follows (the batch read it; otherwise the send reads it if needed).
 */
function toSend(bumped: BumpedHost[], chunk: RevisionToStore[], stored: Map<string, { revision: number }>): StoredToSend[] {
  const reported = valuesByKey(bumped.map((b) => ({ key: b.reportedKey, value: b.reportedFiles })));
  const rowOf = new Map(bumped.map((b) => [b.id, b]));
  return chunk.flatMap((it): StoredToSend[] => {
    const b = rowOf.get(it.host.id);
    const s = stored.get(it.host.id);
    if (!b || !s) return [];
    const { reportedKey, reportedFiles: _first, ...row } = b;
    const host: HostToSend = { ...row, desiredRevision: s.revision, appliedRevision: Number(row.appliedRevision), reportedFiles: reported.get(reportedKey) ?? null };
    const previous = it.prepared.previous;
    const applied = previous && previous.revision === host.appliedRevision ? (previous.rendered as unknown as StoredRendering) : undefined;
    return [{ host, revision: s.revision, rendered: it.prepared.rendering, applied }];
  });
}

const normalised = new WeakMap<Layer, Layer>();

/** normaliseLayer once per own document object: the hosts of a bulk change share theirs. */
function normalisedOnce(own: Layer): Layer {
  let n = normalised.get(own);
  if (!n) normalised.set(own, (n = normaliseLayer(own)));
  return n;
}

function previousEffective(row: HostConfig | null): HostDocument {
  return ((row?.effective ?? row?.document) as HostDocument | null) ?? {};
}

/** Privileged items of an effective document, named in the own document that holds them, else as `effective.…`. */
function privilegedIn(before: HostDocument, effective: HostDocument, own: HostDocument): PrivilegedChange[] {
  return privilegedChanges(before, effective).map((item) => ({ ...item, path: locatePrivileged(item, effective, own) ?? `effective.${item.path}` }));
}
