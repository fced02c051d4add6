import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { actorLabel, type Actor } from '../auth/roles';
import type { Prisma } from '../generated/prisma/client';

/** Who changed what, when, with the diff (DESIGN.md "How a change reaches a host", 1). */
@Injectable()
export class AuditService {
  constructor(private readonly prisma: PrismaService) {}

  record(
    entry: { actor: Actor | string; action: string; target: string; diff?: unknown },
    tx: Prisma.TransactionClient = this.prisma,
  ) {
    const actor = actorLabel(entry.actor);
    return tx.auditEntry.create({
      data: { actor, action: entry.action, target: entry.target, diff: (entry.diff ?? undefined) as Prisma.InputJsonValue | undefined },
    });
  }

  /** Many entries in one statement (a group change or a rollout batch writes one per host). */
  recordMany(entries: { actor: Actor | string; action: string; target: string; diff?: unknown }[], tx: Prisma.TransactionClient = this.prisma) {
    // One JSON parameter, not Prisma's createMany: a group change or rollout batch writes one entry per host.
    return tx.$executeRawUnsafe(
      `INSERT INTO "AuditEntry" ("id", "at", "actor", "action", "target", "diff")
       SELECT gen_random_uuid()::text, (now() AT TIME ZONE 'UTC'), x."actor", x."action", x."target", x."diff"
         FROM jsonb_to_recordset($1::jsonb) AS x("actor" text, "action" text, "target" text, "diff" jsonb)`,
      JSON.stringify(entries.map((entry) => ({ actor: actorLabel(entry.actor), action: entry.action, target: entry.target, diff: entry.diff ?? null }))),
    );
  }

  list(filter: { actor?: string; action?: string; target?: string; since?: Date; until?: Date; limit?: number; privileged?: boolean }) {
    const where: Prisma.AuditEntryWhereInput = {
      ...(filter.target ? { target: filter.target } : {}),
      ...(filter.actor ? { actor: { contains: filter.actor, mode: 'insensitive' } } : {}),
      ...(filter.action ? { OR: [{ action: filter.action }, { action: { startsWith: `${filter.action}.` } }] } : {}),
      // Writers put `privileged: [items]` in the diff of a change that adds program deliveries or assignments.
      ...(filter.privileged ? { diff: { path: ['privileged'], array_contains: [] } } : {}),
      ...(filter.since || filter.until ? { at: { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lte: filter.until } : {}) } } : {}),
    };
    return this.prisma.auditEntry.findMany({
      where,
      orderBy: { at: 'desc' },
      take: Math.min(filter.limit ?? 100, 1000),
    });
  }
}
