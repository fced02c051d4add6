import { Injectable } from '@nestjs/common';
import { describeProblems, GROUP_PLAN_MEMBERS, parseFields, preconditionHolds, staleMessage, type FieldProblem, type RevisionPrecondition, type GroupConfigDryRunView, type GroupMemberPlan, type HostDocument } from '@qfleet/protocol';
import { LayerSchema, normaliseLayer, privilegedChanges, validateDocument, type Layer } from '@qfleet/qmail';
import { PrismaService } from '../database/prisma.service';
import { AuditService } from '../audit/audit.service';
import { HostConfigService, type ConfigWriteOptions, type RevisionToStore } from '../host-config/host-config.service';
import { Conflict, InvalidInput, NotFound, StaleRevision } from '../errors/errors';
import type { Actor } from '../auth/roles';
import type { Prisma } from '../generated/prisma/client';
import { mergePatch } from '../host-config/merge-patch';
import { PrivilegedPolicy } from '../privileged/privileged-policy';

/** A member's own document as it is: one function for all, so members of the same content share a preview. */
const keepOwn = (own: Layer) => own;

/**
 * Groups carry documents of the host document's shape; a member's effective document is its
 * groups in its order, then its own (DESIGN.md Contract). Changing a group's document gives
 * every member a new revision at once; rollouts are the batched, gated way.
 */
@Injectable()
export class GroupsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly hostConfig: HostConfigService,
    private readonly policy: PrivilegedPolicy,
  ) {}

  async list() {
    const [groups, hosts] = await Promise.all([this.prisma.group.findMany({ orderBy: { name: 'asc' } }), this.prisma.host.findMany({ select: { groups: true } })]);
    return groups.map((g) => ({ name: g.name, revision: g.revision, hosts: hosts.filter((h) => h.groups.includes(g.name)).length, updatedAt: g.updatedAt }));
  }

  async create(name: string, actor: Actor) {
    if (await this.prisma.group.findUnique({ where: { name } })) throw new Conflict(`a group named ${name} exists already`);
    const g = await this.prisma.group.create({ data: { name, document: {} } });
    await this.audit.record({ actor, action: 'group.create', target: `group:${name}` });
    return { name: g.name, revision: g.revision, document: g.document };
  }

  async get(name: string) {
    const g = await this.prisma.group.findUnique({ where: { name } });
    if (!g) throw new NotFound(`no group named ${name}`);
    const members = await this.prisma.host.findMany({ where: { groups: { has: name } }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
    return { name: g.name, revision: g.revision, document: g.document as HostDocument, hosts: members };
  }

  async remove(name: string, actor: Actor) {
    const g = await this.get(name);
    if (g.hosts.length) throw new Conflict(`group ${name} still has ${g.hosts.length} host(s): take them out first`);
    await this.prisma.group.delete({ where: { name } });
    await this.audit.record({ actor, action: 'group.delete', target: `group:${name}` });
  }

  /** A group's document as the API received it: the schema's problems and qmail's, for the fields the schema accepts, in one 400. */
  async putConfig(name: string, payload: unknown, actor: Actor, ifMatch?: RevisionPrecondition) {
    const { g, document, privileged } = await this.checked(name, payload, actor, ifMatch);
    const updated = ifMatch && !ifMatch.any ? await this.storeFrom(name, document, ifMatch) : await this.prisma.group.update({ where: { name }, data: { document: document as Prisma.InputJsonValue, revision: { increment: 1 } } });
    await this.audit.record({ actor, action: 'group.config', target: `group:${name}`, diff: { revision: updated.revision, before: g.document, after: document, ...(privileged.length ? { privileged } : {}) } });
    return { revision: updated.revision, privileged, hosts: await this.rerenderMembers(name, actor) };
  }

  /**
   * What putConfig would do, refused as it would be, nothing stored or sent: each member's next
   * revision previewed by the host path's own code (HostConfigService.preview over one batch
   * read, with the group's new document in place of its stored one), so the plan is the real one.
   * The first GROUP_PLAN_MEMBERS members in full; the rest only counted, from their latest
   * rendering alone (no further read per member).
   */
  async dryRunConfig(name: string, payload: unknown, actor: Actor, ifMatch?: RevisionPrecondition): Promise<GroupConfigDryRunView> {
    const { g, document, privileged } = await this.checked(name, payload, actor, ifMatch);
    const members = await this.prisma.host.findMany({ where: { groups: { has: name } }, orderBy: { name: 'asc' } });
    const batch = await this.hostConfig.batch(members);
    batch.groups.set(name, document);
    const shown: GroupMemberPlan[] = [];
    const counts = { members: members.length, changed: 0, refused: 0 };
    for (const [i, h] of members.entries()) {
      const full = i < GROUP_PLAN_MEMBERS;
      const p = await this.hostConfig.preview(h, keepOwn, { history: full }, batch, keepOwn);
      let error: string | undefined;
      try {
        this.hostConfig.admit(p, actor);
      } catch (e) {
        error = (e as Error).message;
      }
      if (error) counts.refused++;
      else if (p.plan.changes.length) counts.changed++;
      if (!full) continue;
      shown.push(
        error
          ? { id: h.id, name: h.name, revision: p.revision, error, warnings: [], privileged: p.privileged, changes: [], postSteps: [] }
          : { id: h.id, name: h.name, revision: p.revision, warnings: p.warnings, privileged: p.privileged, changes: p.plan.changes, postSteps: p.plan.postSteps },
      );
    }
    return { dryRun: true, revision: g.revision, privileged, members: shown, counts, more: members.length - shown.length };
  }

  /** The group's new document as putConfig takes it: parsed, checked (a 400 naming every field), and allowed to the actor (a 403). */
  private async checked(name: string, payload: unknown, actor: Actor, ifMatch?: RevisionPrecondition) {
    const g = await this.get(name);
    // Decided before the content (RFC 9110 13.2.1), as for a host's document.
    if (!preconditionHolds(ifMatch, g.revision)) throw await this.stale(name, ifMatch!);
    const parsed = parseFields(LayerSchema, payload);
    const given = parsed.ok ? parsed.value : parsed.rest;
    const document = given && normaliseLayer(given);
    const { remove: _remove, ...entries } = document ?? {};
    // A group need not be complete on its own, but what it says must be valid where it is said.
    const problems = (parsed.ok ? [] : parsed.problems).concat(document ? validateDocument(entries).errors.filter((e) => !/rcpthosts/.test(e.path)) : []);
    if (problems.length || !document) throw new InvalidInput(`invalid configuration: ${describeProblems(problems)}`, problems);
    // Every member runs what the group says: checked on the group's own document, before any host.
    const privileged = privilegedChanges(g.document, entries);
    this.policy.check(actor, privileged, `group ${name}`);
    return { g, document, privileged };
  }

  /**
   * Every member's next revision: read in one query per table, one rendering per distinct
   * effective document, stored in bulk. A member whose document the change makes invalid, or
   * privileged beyond the actor, is named with its error; the others get their revision.
   */
  private async rerenderMembers(name: string, actor: Actor) {
    const members = await this.prisma.host.findMany({ where: { groups: { has: name } }, select: { id: true, name: true, groups: true, desiredRevision: true }, orderBy: { name: 'asc' } });
    const batch = await this.hostConfig.batch(members);
    const refused = new Map<string, string>();
    const items: RevisionToStore[] = [];
    for (const h of members) {
      const prepared = this.hostConfig.prepareRerender(h, batch);
      try {
        this.hostConfig.admit(prepared, actor);
        items.push({ host: h, own: prepared.own, prepared });
      } catch (e) {
        refused.set(h.id, (e as Error).message);
      }
    }
    const stored = await this.hostConfig.storeRevisions(items, actor, `group.config:${name}`, undefined, batch.memo);
    type MemberResult = { id: string; name: string; revision: number; warnings: FieldProblem[] } | { id: string; name: string; error: string };
    return members.flatMap((h): MemberResult[] => {
      const r = stored.get(h.id);
      if (r) return [{ id: h.id, name: h.name, revision: r.revision, warnings: r.warnings }];
      const error = refused.get(h.id);
      return error ? [{ id: h.id, name: h.name, error }] : [];
    });
  }

  /** RFC 7386: a `null` in the patch deletes the member, so the group no longer says anything about that field. */
  async patchConfig(name: string, patch: unknown, actor: Actor, opts: ConfigWriteOptions = {}) {
    const g = await this.get(name);
    const document = mergePatch(g.document, patch);
    return opts.dryRun ? this.dryRunConfig(name, document, actor, opts.ifMatch) : this.putConfig(name, document, actor, opts.ifMatch);
  }

  /**
   * Stores the document only if the group is still at one of the revisions If-Match names:
   * one conditional UPDATE, so a second write from the same revision matches nothing once the
   * first committed.
   */
  private async storeFrom(name: string, document: unknown, ifMatch: RevisionPrecondition & { any: false }) {
    const rows = await this.prisma.$queryRawUnsafe<{ revision: number }[]>(
      `UPDATE "Group" SET "document" = $2::jsonb, "revision" = "revision" + 1, "updatedAt" = (now() AT TIME ZONE 'UTC') WHERE "name" = $1 AND "revision" IN (SELECT jsonb_array_elements_text($3::jsonb)::int) RETURNING "revision"`,
      name,
      JSON.stringify(document),
      JSON.stringify(ifMatch.revisions),
    );
    if (!rows.length) throw await this.stale(name, ifMatch);
    return { revision: Number(rows[0].revision) };
  }

  /** The 412 of a write whose If-Match the group's revision has moved past: where it is now and who saved that (the audit's last entry). */
  private async stale(name: string, ifMatch: RevisionPrecondition): Promise<StaleRevision> {
    const [g, last] = await Promise.all([
      this.prisma.group.findUnique({ where: { name }, select: { revision: true } }),
      this.prisma.auditEntry.findFirst({ where: { target: `group:${name}`, action: 'group.config' }, orderBy: { at: 'desc' }, select: { actor: true, at: true } }),
    ]);
    const current = { revision: g?.revision ?? 0, by: last?.actor ?? null, at: last?.at.toISOString() ?? null };
    return new StaleRevision(staleMessage(`the document of group ${name}`, ifMatch as RevisionPrecondition & { any: false }, current), current);
  }
}
