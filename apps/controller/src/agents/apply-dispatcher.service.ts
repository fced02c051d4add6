import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentEvent, ApplyAckSchema, describeProblems, parsePayload, type ApplyAck, type ConfigApply } from '@qfleet/protocol';
import type { Socket } from 'socket.io';
import { PrismaService } from '../database/prisma.service';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { driftedPaths, type StoredRendering } from '../host-config/rendered';
import type { Host, Prisma } from '../generated/prisma/client';
import { AgentSessions } from './agent-sessions';
import { AgentFanout } from './agent-fanout';

/** How long an ack is tried again while the database cannot store it. */
const ACK_STORE_RETRY_MS = 60_000;

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
  /** 'host' (hostId) whenever a host's applied or failed revision may have moved: an ack, a hello, a report. */
  readonly progress = new EventEmitter();

  constructor(
    private readonly prisma: PrismaService,
    private readonly sessions: AgentSessions,
    private readonly fanout: AgentFanout,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /**
   * Sends the newest revision when the host lacks it. `force` sends it even when the host
   * says it has it: to overwrite drift (revert, or the `enforce` policy).
   */
  async sync(hostId: string, opts: { force?: boolean; fromPeer?: boolean } = {}): Promise<void> {
    // Not here: the replica holding the agent sends it (unless that replica is the one asking).
    if (!this.sessions.isConnected(hostId)) {
      if (!opts.fromPeer) this.fanout.requestSync(hostId, !!opts.force);
      return;
    }
    if (this.inFlight.has(hostId)) {
      this.again.set(hostId, (this.again.get(hostId) ?? false) || !!opts.force);
      return;
    }
    this.inFlight.add(hostId);
    try {
      await this.sendNewest(hostId, !!opts.force);
    } catch (e) {
      this.logger.error(`host ${hostId}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.inFlight.delete(hostId);
      const again = this.again.get(hostId);
      if (again !== undefined) {
        this.again.delete(hostId);
        void this.sync(hostId, { force: again });
      }
    }
  }

  /**
   * After an agent's report: converge, and under the `enforce` policy overwrite drift at
   * once (DESIGN.md step 5: never silently, unless the host's policy says so).
   */
  async afterReport(host: Host): Promise<void> {
    const hostId = host.id;
    this.progress.emit('host', hostId);
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
    const rendered = config.rendered as unknown as StoredRendering;
    const message: ConfigApply = { revision: config.revision, files: rendered.files, removes: rendered.removes, postSteps: rendered.postSteps };
    this.logger.log(`host ${host.name}: sending revision ${config.revision} (applied ${host.appliedRevision})`);
    let raw: unknown;
    try {
      raw = await this.emitApply(socket, message);
    } catch (e) {
      this.logger.warn(`host ${host.name}: no acknowledgement of revision ${config.revision}: ${(e as Error).message}`);
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
    await this.recordAck(hostId, host.name, parsed.value);
  }

  /** The ack, or an error on timeout or as soon as the socket goes (a crashed agent never answers). */
  private emitApply(socket: Socket, message: ConfigApply): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Gone while the revision was read from the database: its disconnect event has passed,
      // so waiting for it (or the ack) would hold this host's apply slot for the whole timeout.
      if (!socket.connected) return reject(new Error('the agent disconnected'));
      const onDisconnect = () => reject(new Error('the agent disconnected'));
      socket.once('disconnect', onDisconnect);
      socket.timeout(this.settings.applyTimeoutMs).emit(AgentEvent.configApply, message, (err: Error | null, ack: unknown) => {
        socket.off('disconnect', onDisconnect);
        if (err) reject(new Error(`none within ${this.settings.applyTimeoutMs} ms`));
        else resolve(ack);
      });
    });
  }

  /**
   * Stores the ack, trying again while the database is away (a PostgreSQL restart): the ack
   * is sent once, and a failed revision is known only from it (reports carry the applied
   * revision, not the failed one), so it is not given up on at the first error.
   */
  private async recordAck(hostId: string, name: string, ack: ApplyAck): Promise<void> {
    const lastApply = { ...ack, at: new Date().toISOString() } as unknown as Prisma.InputJsonValue;
    const data = ack.ok ? { appliedRevision: ack.revision, failedRevision: null, lastApply } : { failedRevision: ack.revision, lastApply };
    const deadline = Date.now() + ACK_STORE_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.prisma.host.update({ where: { id: hostId }, data });
        break;
      } catch (e) {
        // A host deleted meanwhile (P2025) has nothing to store the ack on.
        if (Date.now() >= deadline || (e as { code?: string }).code === 'P2025') throw e;
        this.logger.warn(`host ${name}: cannot store the acknowledgement of revision ${ack.revision} (attempt ${attempt}): ${(e as Error).message.split('\n').at(-1)}; trying again`);
        await new Promise((r) => setTimeout(r, Math.min(250 * attempt, 2000)));
      }
    }
    if (ack.ok) {
      this.logger.log(`host ${name}: revision ${ack.revision} applied in ${ack.ms} ms, changed ${ack.changed.length} file(s)${ack.skipped.length ? `, skipped ${ack.skipped.join(', ')}` : ''}`);
    } else {
      this.logger.warn(`host ${name}: revision ${ack.revision} failed at ${ack.error?.step}${ack.error?.file ? ` (${ack.error.file})` : ''}: ${ack.error?.message}`);
    }
    this.progress.emit('host', hostId);
  }
}
