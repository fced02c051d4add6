import { Injectable, Logger } from '@nestjs/common';
import { createTwoFilesPatch } from 'diff';
import { HostDocumentSchema, describeProblems, parsePayload, type HostDocument } from '@qfleet/protocol';
import { renderDocument, validateDocument, type RenderedSet } from '@qfleet/qmail';
import { PrismaService } from '../database/prisma.service';
import { AuditService } from '../audit/audit.service';
import { ApplyDispatcher } from '../agents/apply-dispatcher.service';
import { InvalidInput, NotFound } from '../errors/errors';
import type { Actor } from '../auth/roles';
import type { Prisma } from '../generated/prisma/client';
import { mergePatch } from './merge-patch';
import { EMPTY_RENDERING, withDroppedAliases, withPostSteps, type StoredRendering } from './rendered';
import { planApply, type Plan } from './plan';

export interface WriteResult {
  revision: number;
  warnings: { path: string; message: string }[];
}

/** A host's own desired-state document: stored as numbered revisions, rendered, pushed. */
@Injectable()
export class HostConfigService {
  private readonly logger = new Logger('config');

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly dispatcher: ApplyDispatcher,
  ) {}

  async get(hostId: string): Promise<{ revision: number; document: HostDocument }> {
    await this.requireHost(hostId);
    const latest = await this.latest(hostId);
    return { revision: latest?.revision ?? 0, document: (latest?.document as HostDocument) ?? {} };
  }

  async put(hostId: string, document: HostDocument, actor: Actor, action = 'config.put'): Promise<WriteResult> {
    await this.requireHost(hostId);
    const { errors, warnings } = validateDocument(document);
    if (errors.length) throw new InvalidInput(`invalid configuration: ${describeProblems(errors)}`, errors);
    const previous = await this.latest(hostId);
    const before = (previous?.rendered as unknown as RenderedSet) ?? EMPTY_RENDERING;
    const rendering = withPostSteps(before, withDroppedAliases(before, renderDocument(document), document.aliases !== undefined));
    const revision = await this.prisma.$transaction(async (tx) => {
      const host = await tx.host.update({ where: { id: hostId }, data: { desiredRevision: { increment: 1 } } });
      await tx.hostConfig.create({
        data: {
          hostId,
          revision: host.desiredRevision,
          document: document as Prisma.InputJsonValue,
          rendered: rendering as unknown as Prisma.InputJsonValue,
          createdBy: `${actor.name} (${actor.role})`,
        },
      });
      await this.audit.record(
        { actor, action, target: `host:${hostId}`, diff: { revision: host.desiredRevision, document: documentDiff(previous?.document, document) } },
        tx,
      );
      return host.desiredRevision;
    });
    this.logger.log(`host ${hostId}: revision ${revision} stored by ${actor.name}`);
    void this.dispatcher.sync(hostId);
    return { revision, warnings };
  }

  async patch(hostId: string, patch: unknown, actor: Actor): Promise<WriteResult> {
    const { document } = await this.get(hostId);
    const parsed = parsePayload(HostDocumentSchema, mergePatch(document, patch));
    if (!parsed.ok) throw new InvalidInput(`invalid configuration: ${describeProblems(parsed.problems)}`, parsed.problems);
    return this.put(hostId, parsed.value, actor);
  }

  async plan(hostId: string): Promise<Plan & { desiredRevision: number; appliedRevision: number; reportedAt: Date | null }> {
    const host = await this.requireHost(hostId);
    const revisions = await this.prisma.hostConfig.findMany({ where: { hostId }, orderBy: { revision: 'desc' }, take: 20 });
    const desired = revisions.find((r) => r.revision === host.desiredRevision);
    const next = (desired?.rendered as unknown as StoredRendering) ?? EMPTY_RENDERING;
    const reported = (host.reportedFiles as Record<string, string> | null) ?? {};
    const plan = planApply(next, reported, revisions.map((r) => r.rendered as unknown as RenderedSet));
    return { desiredRevision: host.desiredRevision, appliedRevision: host.appliedRevision, reportedAt: host.lastSeen, ...plan };
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

function documentDiff(before: unknown, after: unknown): string {
  return createTwoFilesPatch('before', 'after', JSON.stringify(before ?? {}, null, 2) + '\n', JSON.stringify(after, null, 2) + '\n', '', '', { context: 2 });
}
