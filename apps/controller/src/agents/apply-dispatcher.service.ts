import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentEvent, ApplyAckSchema, describeProblems, parsePayload, type ApplyAck, type ConfigApply } from '@qfleet/protocol';
import type { Socket } from 'socket.io';
import { PrismaService } from '../database/prisma.service';
import { hostsLockedInOrder, RECORDSET_IDS } from '../database/host-lock-order';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { driftedPaths, fileHashes, heldPaths, heldReason, type StoredRendering } from '../host-config/rendered';
import type { Host, HostConfig } from '../generated/prisma/client';
import { AgentSessions } from './agent-sessions';
import { AgentFanout } from './agent-fanout';
import { AckWriter } from './ack-writer';
import type { ReportedHost } from './report-writer';
import { SharedEmitter } from './shared-emit';
import { firstOfKey, jsonKey } from '../database/once-per-key';

/** Held marks gathered this long go to the database in one statement. */
const HELD_FLUSH_MS = 20;

/** The host columns a send reads. */
export type HostToSend = Pick<Host, 'id' | 'name' | 'desiredRevision' | 'appliedRevision' | 'failedRevision' | 'driftPolicy' | 'reportedFiles' | 'heldRevision'>;
type ConfigToSend = Pick<HostConfig, 'revision' | 'rendered'>;

/**
 * A revision just stored, with the host row as the storing statement left it (its lock held
 * the row, so no ack or report came between): what `sendStored` sends without reading again.
 * `applied`: the rendering of the host's applied revision when the caller has it, else undefined (read if drift could hold the send).
 */
export interface StoredToSend {
  host: HostToSend;
  revision: number;
  rendered: StoredRendering;
  applied?: StoredRendering | null;
}
interface LoadedRow extends HostToSend {
  /** null unless the row is the first of its key */
  desired: HostConfig['rendered'] | null;
  desiredKey: string;
  applied: StoredRendering | null;
  appliedKey: string | null;
}
interface Loaded {
  host: HostToSend;
  config: ConfigToSend;
  /** the applied revision's rendering, read only when drift could hold the send (else null; undefined: read it if needed) */
  applied?: StoredRendering | null;
}

/**
 * Makes a connected host converge on its newest revision (DESIGN.md "How a change reaches
 * a host", 3–4). Desired state converges; nothing is queued per message: at most one apply
 * is in flight per host, and a change that arrives meanwhile is sent after its ack.
 */
@Injectable()
export class ApplyDispatcher {
  private readonly logger = new Logger('apply');
  private readonly inFlight = new Set<string>();
  private readonly again = new Map<string, boolean>();
  /** the revision last logged as held per host (issue 12) */
  private readonly heldLogged = new Map<string, number>();
  /** held marks waiting for the next write (markHeld), the last per host */
  private readonly heldMarks = new Map<string, number | null>();
  private readonly emitter = new SharedEmitter();
  private heldFlush?: Promise<void>;
  private heldWrites: Promise<void> = Promise.resolve();
  /** 'host' (hostId) whenever a host's applied or failed revision may have moved: an ack, a hello, a report. */
  readonly progress = new EventEmitter();

  constructor(
    private readonly prisma: PrismaService,
    private readonly sessions: AgentSessions,
    private readonly fanout: AgentFanout,
    private readonly acks: AckWriter,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    // One listener per rollout runner and per waiting request: more than the default ten is normal.
    this.progress.setMaxListeners(0);
  }

  /**
   * `sync` for many hosts at once (a group change, a rollout batch): the hosts and their
   * newest revisions read in one query each, every apply sent at once (still one in flight
   * per host; a host already busy gets its newest revision after its ack).
   */
  syncMany(hostIds: string[]): void {
    const here = hostIds.filter((hostId) => this.claim(hostId));
    if (!here.length) return;
    void this.loadNewest(here)
      .catch((e: Error) => {
        this.logger.error(`${here.length} host(s): ${e.message}`);
        return new Map<string, Loaded>();
      })
      .then((loaded) => {
        for (const hostId of here) void this.sendLoaded(hostId, loaded.get(hostId) ?? null);
      });
  }

  /**
   * `syncMany` for revisions the caller just stored and still holds (a group change, a rollout
   * chunk): the host rows and renderings are in memory, so reading them back (loadNewest, a
   * join over both tables per 1,000 hosts) is skipped. Hosts busy or elsewhere as in syncMany.
   */
  sendStored(items: StoredToSend[]): void {
    for (const it of items) {
      if (this.claim(it.host.id)) void this.sendLoaded(it.host.id, { host: it.host, config: { revision: it.revision, rendered: it.rendered as unknown as HostConfig['rendered'] }, applied: it.applied });
    }
  }

  /**
   * Whether this replica sends to the host now; if so the host is marked in flight. An agent
   * held elsewhere is asked of the replica holding it (unless that replica is the one asking);
   * a host busy gets its newest revision after its ack (forced if any ask was).
   */
  private claim(hostId: string, force = false, fromPeer = false): boolean {
    if (!this.sessions.isConnected(hostId)) {
      if (!fromPeer) this.fanout.requestSync(hostId, force);
      return false;
    }
    if (this.inFlight.has(hostId)) {
      this.again.set(hostId, (this.again.get(hostId) ?? false) || force);
      return false;
    }
    this.inFlight.add(hostId);
    return true;
  }

  /**
   * Each host with the revision to send it (and, when drift could hold it, the rendering it
   * applied), from one statement per 1,000 hosts: a group change or a rollout batch sends to
   * every member at once, and a query per host (or Prisma building a 1,000-way OR) was most of
   * the controller's CPU in a 1,000-host rollout. Only the columns a send reads.
   */
  private async loadNewest(hostIds: string[]): Promise<Map<string, Loaded>> {
    const out = new Map<string, Loaded>();
    // Renderings by their content's key across the whole send: hosts given the same revision share one object.
    const renderings = new Map<string, StoredRendering>();
    for (let i = 0; i < hostIds.length; i += 1000) {
      // The database keys each rendering (jsonb's text is canonical) and sends the JSON of the
      // first row of each key only: a group's members mostly get the same rendering, and one
      // parsed copy lets the held check and the ack hash its files once (fileHashes).
      const rows = await this.prisma.$queryRawUnsafe<LoadedRow[]>(
        `WITH s AS (
           SELECT h."id", h."name", h."desiredRevision", h."appliedRevision", h."failedRevision", h."driftPolicy", h."reportedFiles", h."heldRevision",
                  d."rendered" AS "desired", ${jsonKey('d."rendered"')} AS "desiredKey",
                  CASE WHEN h."appliedRevision" > 0 AND jsonb_typeof(h."reportedFiles") = 'object' AND h."reportedFiles" <> '{}'::jsonb
                       THEN a."rendered" END AS "applied"
             FROM "Host" h
             JOIN "HostConfig" d ON d."hostId" = h."id" AND d."revision" = h."desiredRevision"
             LEFT JOIN "HostConfig" a ON a."hostId" = h."id" AND a."revision" = h."appliedRevision"
            WHERE h."id" IN (SELECT jsonb_array_elements_text($1::jsonb))
              AND h."desiredRevision" > 0 AND h."desiredRevision" <> h."appliedRevision"
              AND h."failedRevision" IS DISTINCT FROM h."desiredRevision"),
         k AS (SELECT s.*, ${jsonKey('s."applied"')} AS "appliedKey" FROM s)
         SELECT "id", "name", "desiredRevision", "appliedRevision", "failedRevision", "driftPolicy", "reportedFiles", "heldRevision", "desiredKey", "appliedKey",
                ${firstOfKey('"desired"', '"desiredKey"')} AS "desired",
                ${firstOfKey('"applied"', '"appliedKey"')} AS "applied"
           FROM k`,
        JSON.stringify(hostIds.slice(i, i + 1000)),
      );
      for (const r of rows) {
        if (r.desired && !renderings.has(r.desiredKey)) renderings.set(r.desiredKey, r.desired as unknown as StoredRendering);
        if (r.applied && r.appliedKey && !renderings.has(r.appliedKey)) renderings.set(r.appliedKey, r.applied);
      }
      for (const r of rows) {
        const { desired: _desired, applied: _applied, desiredKey, appliedKey, ...host } = r;
        const rendered = renderings.get(desiredKey);
        if (!rendered) continue;
        out.set(host.id, { host, config: { revision: host.desiredRevision, rendered: rendered as unknown as HostConfig['rendered'] }, applied: appliedKey ? (renderings.get(appliedKey) ?? null) : null });
      }
    }
    return out;
  }

  /** Sends what loadNewest found to a host marked in flight, then releases it (and sends again if asked meanwhile). */
  private async sendLoaded(hostId: string, loaded: Loaded | null): Promise<void> {
    try {
      const socket = this.sessions.get(hostId);
      if (socket && loaded) await this.send(socket, loaded.host, loaded.config, false, loaded.applied);
    } catch (e) {
      this.logger.error(`host ${hostId}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.release(hostId);
    }
  }

  private release(hostId: string): void {
    this.inFlight.delete(hostId);
    const again = this.again.get(hostId);
    if (again !== undefined) {
      this.again.delete(hostId);
      void this.sync(hostId, { force: again });
    }
  }

  /**
   * Sends the newest revision when the host lacks it. `force` sends it even when the host
   * says it has it: to overwrite drift (revert, or the `enforce` policy).
   */
  async sync(hostId: string, opts: { force?: boolean; fromPeer?: boolean } = {}): Promise<void> {
    if (!this.claim(hostId, !!opts.force, !!opts.fromPeer)) return;
    try {
      await this.sendNewest(hostId, !!opts.force);
    } catch (e) {
      this.logger.error(`host ${hostId}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.release(hostId);
    }
  }

  /**
   * After an agent's report: converge, and under the `enforce` policy overwrite drift at
   * once (DESIGN.md step 5: never silently, unless the host's policy says so).
   */
  async afterReport(host: ReportedHost): Promise<void> {
    const hostId = host.id;
    this.progress.emit('host', hostId);
    // Nothing to send (the common report): no further read, no apply slot taken.
    if (host.desiredRevision === 0 || host.failedRevision === host.desiredRevision) return;
    if (host.appliedRevision === host.desiredRevision && host.driftPolicy !== 'enforce') return;
    let force = false;
    if (host.driftPolicy === 'enforce' && host.appliedRevision === host.desiredRevision && host.desiredRevision > 0) {
      const config = await this.prisma.hostConfig.findUnique({ where: { hostId_revision: { hostId, revision: host.appliedRevision } } });
      const drift = config ? driftedPaths(config.rendered as unknown as StoredRendering, (host.reportedFiles as Record<string, string>) ?? {}) : [];
      if (drift.length) {
        this.logger.warn(`host ${host.name}: drift on ${drift.join(', ')}; policy enforce: re-applying revision ${host.appliedRevision}`);
        force = true;
      }
    }
    await this.sync(hostId, { force });
  }

  /** An explicit retry of a failed revision (it is never resent by itself). */
  async retry(hostId: string): Promise<void> {
    await this.prisma.host.update({ where: { id: hostId }, data: { failedRevision: null } });
    await this.sync(hostId, { force: true });
  }

  private async sendNewest(hostId: string, force: boolean): Promise<void> {
    const socket = this.sessions.get(hostId);
    if (!socket) return;
    const host = await this.prisma.host.findUnique({ where: { id: hostId } });
    if (!host || host.desiredRevision === 0) return;
    if (host.desiredRevision === host.appliedRevision && !force) return;
    // A failed revision is not resent by itself: the host shows the failure (Contract).
    if (host.failedRevision === host.desiredRevision) return;
    const config = await this.prisma.hostConfig.findUnique({ where: { hostId_revision: { hostId, revision: host.desiredRevision } } });
    if (!config) return;
    await this.send(socket, host, config, force);
  }

  /** `applied`: the rendering of the host's applied revision when already read (undefined: read it if needed). */
  private async send(socket: Socket, host: HostToSend, config: ConfigToSend, force = false, applied?: StoredRendering | null): Promise<void> {
    const hostId = host.id;
    const rendered = config.rendered as unknown as StoredRendering;
    // An edit on the host the operator was shown and has not decided on is never overwritten
    // by the way (issue 12): held until adopted, reverted (force) or overwritten on purpose.
    if (!force && !rendered.overwriteDrift && host.driftPolicy !== 'enforce') {
      const held = await this.heldPaths(host, rendered, applied);
      if (held.length) {
        // Once per revision: every report of a held host comes back here.
        if (this.heldLogged.get(hostId) !== config.revision) this.logger.warn(`host ${host.name}: revision ${config.revision} held: ${heldReason(held)}`);
        this.heldLogged.set(hostId, config.revision);
        // Stored, so every replica's host list shows it held (HostView.held).
        if (host.heldRevision !== config.revision) await this.markHeld(hostId, config.revision);
        return;
      }
      this.heldLogged.delete(hostId);
    }
    if (host.heldRevision !== null) await this.markHeld(hostId, null);
    this.logger.log(`host ${host.name}: sending revision ${config.revision} (applied ${host.appliedRevision})`);
    let raw: unknown;
    try {
      raw = await this.emitApply(socket, rendered, config.revision);
    } catch (e) {
      this.logger.warn(`host ${host.name}: no acknowledgement of revision ${config.revision}: ${(e as Error).message}`);
      // A rollout waiting for this host sees it offline now rather than at its next look.
      this.progress.emit('host', hostId);
      return;
    }
    const parsed = parsePayload(ApplyAckSchema, raw);
    if (!parsed.ok) {
      this.logger.warn(`host ${host.name}: malformed acknowledgement (${describeProblems(parsed.problems)})`);
      return;
    }
    // The ack answers this emit: a revision other than the one sent (replayed, from the
    // future, or another host's) would move the host's applied or failed revision to a
    // number no agent was given, so it is dropped like a malformed one.
    if (parsed.value.revision !== config.revision) {
      this.logger.warn(`host ${host.name}: acknowledgement names revision ${parsed.value.revision}, but revision ${config.revision} was sent; ignored`);
      return;
    }
    await this.recordAck(hostId, host.name, parsed.value, rendered);
  }

  /**
   * Stores that a host's revision is held (or no longer held), with the other hosts' marks of
   * the next HELD_FLUSH_MS in one UPDATE: a group change over drifted members held each with a
   * statement of its own. Writes run one after another, so a host's later mark wins.
   */
  private markHeld(hostId: string, revision: number | null): Promise<void> {
    this.heldMarks.set(hostId, revision);
    this.heldFlush ??= new Promise<void>((resolve) => setTimeout(resolve, HELD_FLUSH_MS)).then(() => {
      const marks = [...this.heldMarks].map(([id, rev]) => ({ id, revision: rev }));
      this.heldMarks.clear();
      this.heldFlush = undefined;
      const write = this.heldWrites.then(() =>
        this.prisma.$executeRawUnsafe(
          `UPDATE "Host" AS h SET "heldRevision" = x.revision, "updatedAt" = (now() AT TIME ZONE 'UTC')
             FROM jsonb_to_recordset($1::jsonb) AS x(id text, revision int)
            WHERE h."id" = x.id AND h."id" IN ${hostsLockedInOrder(RECORDSET_IDS)}`,
          JSON.stringify(marks),
        ),
      );
      this.heldWrites = write.then(
        () => undefined,
        () => undefined,
      );
      return write.then(() => undefined);
    });
    return this.heldFlush;
  }

  /**
   * The drifted files that sending `next` would overwrite (host-config/rendered heldPaths), on
   * the host row the send was planned on: it is read just before each send (loadNewest,
   * sendNewest), and an ok ack merges the hashes of what it wrote into the row in the same
   * write (AckWriter), so the row is as new as the database has it without a read per host.
   */
  private async heldPaths(host: HostToSend, next: StoredRendering, applied?: StoredRendering | null): Promise<string[]> {
    const reported = (host.reportedFiles as Record<string, string> | null) ?? {};
    if (host.appliedRevision === 0 || !Object.keys(reported).length) return [];
    // Nothing to write, nothing to overwrite: no need to read the applied revision.
    const hashes = fileHashes(next);
    if (next.files.every((f) => reported[f.path] === hashes.get(f.path)) && !next.removes.some((p) => p in reported)) return [];
    if (applied === undefined) {
      const row = await this.prisma.hostConfig.findUnique({ where: { hostId_revision: { hostId: host.id, revision: host.appliedRevision } }, select: { rendered: true } });
      applied = row ? (row.rendered as unknown as StoredRendering) : null;
    }
    return heldPaths(applied, next, reported);
  }

  /**
   * The ack, or an error on timeout or as soon as the socket goes (a crashed agent never
   * answers). The packet is encoded once per rendering and revision (SharedEmitter): the
   * members of a group or a rollout chunk share both.
   */
  private emitApply(socket: Socket, rendered: StoredRendering, revision: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Gone while the revision was read from the database: its disconnect event has passed,
      // so waiting for it (or the ack) would hold this host's apply slot for the whole timeout.
      if (!socket.connected) return reject(new Error('the agent disconnected'));
      const onDisconnect = () => reject(new Error('the agent disconnected'));
      socket.once('disconnect', onDisconnect);
      const message = (): ConfigApply => ({ revision, files: rendered.files, removes: rendered.removes, postSteps: rendered.postSteps });
      this.emitter.emitWithAck(socket, rendered, revision, AgentEvent.configApply, message, this.settings.applyTimeoutMs).then(
        (ack) => {
          socket.off('disconnect', onDisconnect);
          resolve(ack);
        },
        () => {
          socket.off('disconnect', onDisconnect);
          reject(new Error(`none within ${this.settings.applyTimeoutMs} ms`));
        },
      );
    });
  }

  /** Stores the ack (the writer tries again while the database is away), then says so. */
  private async recordAck(hostId: string, name: string, ack: ApplyAck, sent: StoredRendering): Promise<void> {
    await this.acks.record(hostId, ack, sent);
    if (ack.ok) {
      this.logger.log(`host ${name}: revision ${ack.revision} applied in ${ack.ms} ms, changed ${ack.changed.length} file(s)${ack.skipped.length ? `, skipped ${ack.skipped.join(', ')}` : ''}`);
    } else {
      this.logger.warn(`host ${name}: revision ${ack.revision} failed at ${ack.error?.step}${ack.error?.file ? ` (${ack.error.file})` : ''}: ${ack.error?.message}`);
    }
    this.progress.emit('host', hostId);
  }
}
