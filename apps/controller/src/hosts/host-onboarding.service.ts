import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { BulkCreatedHosts, CreateHost, FieldProblem } from '@qfleet/protocol';
import { FleetFacts } from './fleet-facts';
import { PrismaService } from '../database/prisma.service';
import { hashToken, newToken } from '../auth/secrets';
import { Conflict } from '../errors/errors';
import type { Actor } from '../auth/roles';
import { ensureGroups, isUniqueViolation } from './ensure-groups';

/*
 * One statement per table with the rows as one JSON parameter: Prisma's createMany compiles and
 * binds every row's fields (most of a 1,000-host call's CPU went there); PostgreSQL and PGlite
 * unpack the JSON themselves. Times are UTC, as Prisma writes them into these timestamp columns.
 */
const INSERT_HOSTS = `INSERT INTO "Host" ("id", "name", "groups", "enrollTokenHash", "createdAt", "updatedAt")
  SELECT x."id", x."name", ARRAY(SELECT jsonb_array_elements_text(x."groups")), x."hash", now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM jsonb_to_recordset($1::jsonb) AS x("id" text, "name" text, "groups" jsonb, "hash" text)`;
/** The entries AuditService.record would write (actor as "name (role)"), one per host. */
const INSERT_AUDIT = `INSERT INTO "AuditEntry" ("id", "at", "actor", "action", "target", "diff")
  SELECT x."id", now() AT TIME ZONE 'UTC', $2, 'host.create', x."target", x."diff"
  FROM jsonb_to_recordset($1::jsonb) AS x("id" text, "target" text, "diff" jsonb)`;

/**
 * A provider's inventory in: many hosts per call (`POST /api/hosts/bulk`), all or none, each
 * with its one-time enrol token. One transaction of one statement per table (groups, hosts,
 * audit entries), so 1,000 hosts cost what one did over POST /api/hosts.
 */
@Injectable()
export class HostOnboardingService {
  private readonly logger = new Logger('hosts');

  constructor(
    private readonly prisma: PrismaService,
    private readonly facts: FleetFacts,
  ) {}

  /** `hosts` has passed BulkCreateHostsSchema (no name twice, at most MAX_BULK_HOSTS). */
  async createMany(hosts: CreateHost[], actor: Actor, dryRun = false): Promise<BulkCreatedHosts> {
    await this.refuseTaken(hosts);
    if (dryRun) return { dryRun, count: hosts.length, created: [] };
    const rows = hosts.map((h) => ({ id: randomUUID(), name: h.name, groups: h.groups ?? [], enrollToken: newToken('qfe') }));
    const by = `${actor.name} (${actor.role})`;
    try {
      await this.prisma.$transaction(
        async (tx) => {
          await ensureGroups(tx, rows.flatMap((r) => r.groups));
          await tx.$executeRawUnsafe(INSERT_HOSTS, JSON.stringify(rows.map((r) => ({ id: r.id, name: r.name, groups: r.groups, hash: hashToken(r.enrollToken) }))));
          await tx.$executeRawUnsafe(
            INSERT_AUDIT,
            JSON.stringify(rows.map((r) => ({ id: randomUUID(), target: `host:${r.id}`, diff: { name: r.name, groups: r.groups, bulk: rows.length } }))),
            by,
          );
        },
        { maxWait: 30_000, timeout: 120_000 },
      );
    } catch (e) {
      // Another request took one of the names between the check and the insert.
      if (isUniqueViolation(e)) await this.refuseTaken(hosts);
      throw e;
    }
    this.logger.log(`${rows.length} host(s) created in one call`);
    this.facts.forget();
    return { dryRun, count: rows.length, created: rows.map((r) => ({ id: r.id, name: r.name, groups: r.groups, enrollToken: r.enrollToken })) };
  }

  /** A 409 naming every host whose name the fleet has already, by its place in the call. */
  private async refuseTaken(hosts: CreateHost[]): Promise<void> {
    const taken = await this.prisma.$queryRawUnsafe<{ id: string; name: string }[]>(
      `SELECT "id", "name" FROM "Host" WHERE "name" IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      JSON.stringify(hosts.map((h) => h.name)),
    );
    if (!taken.length) return;
    const idOf = new Map(taken.map((t) => [t.name, t.id]));
    const fields: FieldProblem[] = [];
    hosts.forEach((h, i) => {
      const id = idOf.get(h.name);
      if (id) fields.push({ path: `hosts[${i}].name`, message: `a host named ${h.name} exists already (id ${id})` });
    });
    throw new Conflict(`hosts exist already, none created: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
  }
}
