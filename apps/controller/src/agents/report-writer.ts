import { Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { Hello } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { hostsLockedInOrder, RECORDSET_IDS } from '../database/host-lock-order';
import type { Host } from '../generated/prisma/client';
import { AckWriter } from './ack-writer';
import { DriftCounter } from '../host-config/drift-counter';
import { FleetFacts } from '../hosts/fleet-facts';

/**
 * A hello (an agent that connects: a revision may wait for it) is written within HELLO_FLUSH_MS;
 * the periodic reports gather for REPORT_FLUSH_MS (or until FLUSH_AT hosts wait). A batch
 * costs a statement or two through Prisma whatever its size: at a 100 ms flush, 1,000 agents
 * reporting every 30 s made ten batches of three or four reports a second.
 */
const HELLO_FLUSH_MS = 100;
const REPORT_FLUSH_MS = 1000;
const FLUSH_AT = 1000;
/** Rows in one statement at most. */
const STATEMENT_ROWS = 2000;

/**
 * What a report's readers use of the row as written: the host list's facts (FactsRow) and the
 * dispatcher's decision to send (afterReport). Not `h.*`: every report of 10,000 agents
 * brought back the secrets, the last apply and the reported hashes, each JSON value serialised
 * by the database and parsed again here. The hashes come back only where the enforce policy
 * compares them with the applied rendering.
 */
const REPORTED = ['id', 'name', 'groups', 'desiredRevision', 'appliedRevision', 'failedRevision', 'heldRevision', 'lastSeen', 'agentVersion', 'qmail', 'drifted', 'driftPolicy', 'reportedFiles'] as const;
const REPORTED_COLUMNS = REPORTED.map((c) => (c === 'reportedFiles' ? `CASE WHEN h."driftPolicy" = 'enforce' THEN h."reportedFiles" END AS "reportedFiles"` : `h."${c}"`)).join(', ');

/** A host's row as a report wrote it (REPORTED_COLUMNS). */
export type ReportedHost = Pick<Host, (typeof REPORTED)[number]>;

interface Pending {
  /** the newest hello or report of the host; none when only its last sight is to be written */
  hello?: Hello;
  /** the host's ack count (AckWriter.acksOf) when the hello came */
  acksBefore?: number;
  lastSeen: Date;
  waiters: ((row: ReportedHost | null) => void)[];
}

/**
 * Writes agents' hellos and reports, and the time a host was last seen, in batches: 10,000
 * agents reporting every 30 s, or connecting at once, made one UPDATE each, a round trip per
 * host that queued behind each other. Pending writes are held per host, a newer report
 * replacing an older one, so the backlog is bounded by the number of hosts however slow the
 * database is; one flush writes at a time.
 *
 * A report carries the host's applied revision, and its apply acknowledgement may still be in
 * the AckWriter: a batch waits for those acks first, so a host never shows a new applied
 * revision before the lastApply that goes with it is stored.
 */
@Injectable()
export class ReportWriter implements OnModuleDestroy {
  private readonly logger = new Logger('agents');
  private pending = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;
  /** when the timer fires (ms since the epoch) */
  private due = Infinity;
  /** the soonest a waiting entry asked to be written (HELLO_FLUSH_MS or REPORT_FLUSH_MS from its arrival) */
  private wanted = Infinity;
  private writing?: Promise<void>;
  private failing = false;
  private readonly drift: DriftCounter;

  constructor(
    private readonly prisma: PrismaService,
    private readonly acks: AckWriter,
    // The host list's facts, set from the rows as written (absent in unit specs).
    @Optional() private readonly facts?: FleetFacts,
  ) {
    this.drift = new DriftCounter(prisma, (hostId, revision) => acks.appliedRendering(hostId, revision));
  }

  /**
   * Stores a hello or report; resolves with the host's row as written, or null when it could
   * not be. `soon`: a hello, written within HELLO_FLUSH_MS rather than REPORT_FLUSH_MS.
   */
  report(hostId: string, hello: Hello, soon = true): Promise<ReportedHost | null> {
    return new Promise((resolve) => {
      const p = this.entry(hostId);
      p.hello = hello;
      p.acksBefore = this.acks.acksOf(hostId);
      p.waiters.push(resolve);
      this.schedule(soon ? HELLO_FLUSH_MS : REPORT_FLUSH_MS);
    });
  }

  /** Stores that the host was seen now (its agent disconnected). */
  seen(hostId: string): void {
    this.entry(hostId);
    this.schedule(REPORT_FLUSH_MS);
  }

  /** Hosts with a write waiting or in progress (the write queue's depth in /metrics). */
  get queued(): number {
    return this.pending.size;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private entry(hostId: string): Pending {
    let p = this.pending.get(hostId);
    if (!p) this.pending.set(hostId, (p = { lastSeen: new Date(), waiters: [] }));
    p.lastSeen = new Date();
    return p;
  }

  private schedule(delayMs?: number): void {
    if (delayMs !== undefined || this.wanted === Infinity) this.wanted = Math.min(this.wanted, Date.now() + (delayMs ?? REPORT_FLUSH_MS));
    if (this.writing) return; // the write in progress schedules the next
    if (this.pending.size >= FLUSH_AT) return void this.flush();
    // One timer, moved earlier when a hello comes while only reports wait.
    if (this.timer && this.due <= this.wanted) return;
    if (this.timer) clearTimeout(this.timer);
    this.due = this.wanted;
    this.timer = setTimeout(() => void this.flush(), Math.max(0, this.due - Date.now()));
  }

  /** Writes what is waiting now (after a write in progress). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.due = Infinity;
    while (this.writing) await this.writing;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    this.wanted = Infinity;
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.pending.size) this.schedule();
    });
    await this.writing;
  }

  private async write(batch: Map<string, Pending>): Promise<void> {
    const reports = [...batch].filter(([, p]) => p.hello);
    const seenOnly = [...batch].filter(([, p]) => !p.hello);
    let rows = new Map<string, ReportedHost>();
    try {
      await this.acks.settled(reports.map(([id]) => id));
      const drifted = await this.drift.count(reports.map(([id, p]) => ({ id, appliedRevision: p.hello!.appliedRevision, files: p.hello!.files })));
      for (let i = 0; i < reports.length; i += STATEMENT_ROWS) {
        const chunk = reports.slice(i, i + STATEMENT_ROWS).map(([id, p]) => ({
          id,
          lastSeen: p.lastSeen.toISOString(),
          agentVersion: p.hello!.agentVersion,
          appliedRevision: p.hello!.appliedRevision,
          qmail: p.hello!.qmail,
          reportedFiles: p.hello!.files,
          drifted: drifted.get(id) ?? 0,
          // An ack that came after this report (it waited here for the batch) stored a newer
          // applied revision and the hashes of what it wrote: the older report must not undo them.
          fresh: this.acks.acksOf(id) === p.acksBefore,
        }));
        // The rows as written are what the dispatcher and the host list decide on: returned by the
        // statement that writes them, not read again (a second statement per batch).
        const written = await this.prisma.$queryRawUnsafe<ReportedHost[]>(
          `UPDATE "Host" AS h SET
             "lastSeen" = x."lastSeen", "agentVersion" = x."agentVersion",
             "appliedRevision" = CASE WHEN x.fresh THEN x."appliedRevision" ELSE h."appliedRevision" END,
             "qmail" = x."qmail", "reportedFiles" = CASE WHEN x.fresh THEN x."reportedFiles" ELSE h."reportedFiles" END,
             "drifted" = CASE WHEN x.fresh THEN x."drifted" ELSE h."drifted" END,
             "updatedAt" = (now() AT TIME ZONE 'UTC')
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, "lastSeen" timestamp(3), "agentVersion" text, "appliedRevision" int, "qmail" jsonb, "reportedFiles" jsonb, "drifted" int, fresh boolean)
           WHERE h."id" = x.id AND h."id" IN ${hostsLockedInOrder(RECORDSET_IDS)}
           RETURNING ${REPORTED_COLUMNS}`,
          JSON.stringify(chunk),
        );
        for (const h of written) rows.set(h.id, h);
      }
      for (let i = 0; i < seenOnly.length; i += STATEMENT_ROWS) {
        const chunk = seenOnly.slice(i, i + STATEMENT_ROWS).map(([id, p]) => ({ id, lastSeen: p.lastSeen.toISOString() }));
        await this.prisma.$executeRawUnsafe(
          `UPDATE "Host" AS h SET "lastSeen" = x."lastSeen", "updatedAt" = (now() AT TIME ZONE 'UTC') FROM jsonb_to_recordset($1::jsonb) AS x(id text, "lastSeen" timestamp(3))
           WHERE h."id" = x.id AND h."id" IN ${hostsLockedInOrder(RECORDSET_IDS)}`,
          JSON.stringify(chunk),
        );
      }
      if (this.facts) {
        for (const h of rows.values()) this.facts.reported(h);
        for (const [id, p] of seenOnly) this.facts.seen(id, p.lastSeen);
      }
      if (this.failing) this.logger.log('reports are stored again');
      this.failing = false;
    } catch (e) {
      // Not retried: every agent sends the same facts again at its next report.
      if (!this.failing) this.logger.warn(`${reports.length} report(s) and ${seenOnly.length} last-seen time(s) not stored: ${(e as Error).message.split('\n').at(-1)}`);
      this.failing = true;
      rows = new Map();
    }
    for (const [id, p] of batch) for (const w of p.waiters) w(rows.get(id) ?? null);
  }
}
