import { Injectable } from '@nestjs/common';
import type { QmailState } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import type { ListedHost } from './host-list';

/** How often the table is read again while pages are asked (writes that do not pass here: rollouts, acks, another replica's reports). */
export const FACTS_REFRESH_MS = 1000;
/**
 * Between full reads, only the rows whose updatedAt is at most this much older than the newest
 * seen are read: updatedAt is the writing transaction's start, so a transaction that commits
 * later than this after it began, or a write stamped by a clock more than this behind the
 * database's, shows with the next full read (FULL_READ_MS) instead.
 */
export const CHANGED_MARGIN_MS = 10_000;
/** Every host read again at most this often while pages are asked (reading 10,000 rows is most of a page's cost). */
export const FULL_READ_MS = 30_000;

/** `connected` and `queue` are set by each request (HostsService.listed); `touched`: when the ingest path last set this row. */
export type StoredFacts = ListedHost & { lower: string; touched: number };

/** The columns of a host row the list reads (a report batch's rows as written have them all). */
export interface FactsRow {
  id: string;
  name: string;
  groups: string[];
  desiredRevision: number;
  appliedRevision: number;
  failedRevision: number | null;
  lastSeen: Date | string | null;
  qmail: unknown;
  drifted: number;
  heldRevision: number | null;
  /** in a read of the table; not in a report writer's row */
  updatedAt?: Date | string;
}

const FACT_COLUMNS = { id: true, name: true, groups: true, desiredRevision: true, appliedRevision: true, failedRevision: true, lastSeen: true, qmail: true, drifted: true, heldRevision: true, updatedAt: true } as const;

/**
 * What the host list filters, sorts and counts by (issue 11, 13), held by the controller: the
 * small columns of every host, one entry per host in the database (the map is rebuilt from
 * each read, so a deleted host goes with the next one). The report writer sets a host's entry
 * in place from the row it has just written, so a page answers from memory while the
 * database is busy with the write backlog (a page used to wait for a read of every host queued
 * behind the report writes: 732 ms at 2,000 agents).
 *
 * Writes that do not pass here (a rollout's desired revision, an ack, a report stored by the
 * other replica) show through a read of the rows changed since (updatedAt), started by a
 * request at most every FACTS_REFRESH_MS and never waited for once a table exists: the request
 * answers from the table it has. Every FULL_READ_MS the whole table is read instead. A write through the API (forget) makes the next request wait for a fresh read,
 * so whoever wrote sees it. A read does not undo what the ingest path set after it began.
 */
@Injectable()
export class FleetFacts {
  private rows?: StoredFacts[];
  /** the rows by name, made again when a host comes or a name changes: a page by name is then a filter, not a sort of every host */
  private nameOrder?: StoredFacts[];
  private byId = new Map<string, StoredFacts>();
  private readAt = 0;
  private reading?: Promise<StoredFacts[]>;
  private readStartedAt = 0;
  /** the start of the last full read, and the newest updatedAt seen (ms) */
  private fullAt = 0;
  private watermark = 0;
  /** a read that began before this (a write through the API) is too old for the next request */
  private forgottenAt = -1;

  constructor(private readonly prisma: PrismaService) {}

  /** Every host's facts: from memory, unless there are none yet or a write through the API asked for a fresh read. */
  async all(): Promise<StoredFacts[]> {
    const now = Date.now();
    if (this.rows && this.readAt > this.forgottenAt) {
      if (now - this.readAt >= FACTS_REFRESH_MS) void this.read().catch(() => undefined);
      return this.rows;
    }
    return this.read();
  }

  /** The same rows as `all`, in name order (what the host list sorts by, and breaks ties by). */
  async byName(): Promise<StoredFacts[]> {
    const rows = await this.all();
    if (this.nameOrder?.length !== rows.length) this.nameOrder = rows.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.nameOrder;
  }

  /** After a write to hosts through the API: the next request waits for a read that began after it. */
  forget(): void {
    this.forgottenAt = Date.now();
  }

  /** The report writer's rows as written: set in place, nothing read. A host not in the table yet comes with the next read. */
  reported(row: FactsRow, at = Date.now()): void {
    const h = this.byId.get(row.id);
    if (!h) return;
    // What a report writes, and the revisions it is judged by; a name or groups change goes through the API (forget).
    assignState(h, row);
    h.touched = at;
  }

  /** A host's last sight stored (its agent went). */
  seen(hostId: string, lastSeen: Date, at = Date.now()): void {
    const h = this.byId.get(hostId);
    if (!h) return;
    h.lastSeen = lastSeen;
    h.touched = at;
  }

  get size(): number {
    return this.byId.size;
  }

  /** One read at a time; a request that must wait joins the one under way only if it began after the last forget. */
  private read(): Promise<StoredFacts[]> {
    if (this.reading && this.readStartedAt > this.forgottenAt) return this.reading;
    const started = Date.now();
    this.readStartedAt = started;
    // A write through the API is read back in full: Prisma sets updatedAt from this process's
    // clock, the raw statements from the database's, and a skew between them must not hide it.
    const full = !this.rows || started - this.fullAt >= FULL_READ_MS || this.forgottenAt >= this.readAt;
    const read = full
      ? this.prisma.host.findMany({ select: FACT_COLUMNS }).then((rows) => this.install(rows, started))
      : this.prisma.host.findMany({ where: { updatedAt: { gt: new Date(this.watermark - CHANGED_MARGIN_MS) } }, select: FACT_COLUMNS }).then((rows) => this.merge(rows, started));
    this.reading = read;
    read.then(
      () => this.reading === read && (this.reading = undefined),
      () => this.reading === read && (this.reading = undefined),
    );
    return read;
  }

  /**
   * The rows of a full read replace the table (a host that is gone goes with it); an entry the
   * ingest path set after the read began keeps what the ingest path set (newer than the read),
   * and takes the rest from the read.
   */
  private install(rows: FactsRow[], started: number): StoredFacts[] {
    // Reads overlap when one was forgotten: an older read than the table's changes nothing.
    if (started < this.readAt && this.rows) return this.rows;
    const next = new Map<string, StoredFacts>();
    const list: StoredFacts[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const h = this.applyRead(rows[i], started);
      next.set(h.id, h);
      list[i] = h;
    }
    this.byId = next;
    this.rows = list;
    this.nameOrder = undefined;
    this.readAt = started;
    this.fullAt = started;
    return list;
  }

  /** The rows changed since the newest seen, set in place; a new host is added. */
  private merge(rows: FactsRow[], started: number): StoredFacts[] {
    if (started < this.readAt && this.rows) return this.rows;
    const list = this.rows ?? [];
    for (const row of rows) {
      const known = this.byId.has(row.id);
      const h = this.applyRead(row, started);
      if (!known) {
        this.byId.set(h.id, h);
        list.push(h);
        this.nameOrder = undefined;
      }
    }
    this.rows = list;
    this.readAt = started;
    return list;
  }

  private applyRead(row: FactsRow, started: number): StoredFacts {
    let h = this.byId.get(row.id);
    if (!h) h = { id: row.id, name: '', lower: '', groups: [], desiredRevision: 0, appliedRevision: 0, failedRevision: null, lastSeen: null, qmail: null, drift: 0, held: false, connected: false, queue: null, touched: 0 };
    if (h.name !== row.name) this.nameOrder = undefined;
    if (h.touched >= started) {
      // Only what the report writer does not write: the newer report stays.
      assignIdentity(h, row);
      h.desiredRevision = row.desiredRevision;
      h.failedRevision = row.failedRevision;
      h.held = row.heldRevision !== null && row.heldRevision === row.desiredRevision;
    } else assign(h, row);
    const updated = row.updatedAt ? asDate(row.updatedAt)!.getTime() : 0;
    if (updated > this.watermark) this.watermark = updated;
    return h;
  }
}

function assign(h: StoredFacts, row: FactsRow): void {
  assignIdentity(h, row);
  assignState(h, row);
}

/** The name (and its lowercase, what the search matches) and groups: changed through the API only. */
function assignIdentity(h: StoredFacts, row: FactsRow): void {
  if (h.name !== row.name) {
    h.name = row.name;
    h.lower = row.name.toLowerCase();
  }
  h.groups = row.groups;
}

/** The revisions, sight, qmail state, drift and hold of a row: what every write to a host may move. */
function assignState(h: StoredFacts, row: FactsRow): void {
  h.desiredRevision = row.desiredRevision;
  h.appliedRevision = row.appliedRevision;
  h.failedRevision = row.failedRevision;
  h.lastSeen = asDate(row.lastSeen);
  h.qmail = (row.qmail as QmailState | null) ?? null;
  h.drift = row.drifted;
  h.held = row.heldRevision !== null && row.heldRevision === row.desiredRevision;
}

/** A raw statement's timestamp (RETURNING) as a Date, whichever form the driver gives it in. */
function asDate(v: Date | string | null): Date | null {
  return v === null ? null : v instanceof Date ? v : new Date(v);
}
