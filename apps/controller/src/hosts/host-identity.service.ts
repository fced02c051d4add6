import { Injectable, Logger } from '@nestjs/common';
import { AgentEvent, AgentRefusal, EnrolledAckSchema, describeProblems, parsePayload } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { AuditService } from '../audit/audit.service';
import { AgentFanout } from '../agents/agent-fanout';
import { hashToken, newToken } from '../auth/secrets';
import { AgentFailed, Conflict, NotFound } from '../errors/errors';
import type { Actor } from '../auth/roles';
import type { Host } from '../generated/prisma/client';

/** How long rotation waits for the agent to store its new secret and ack. */
const ROTATE_ACK_TIMEOUT_MS = 30_000;

/**
 * An enrolled host's identity after its first enrolment (DESIGN.md "Security"): a new enrol
 * token (a reinstalled host), secret rotation and revocation, each audited.
 */
@Injectable()
export class HostIdentityService {
  private readonly logger = new Logger('agents');

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly fanout: AgentFanout,
  ) {}

  /**
   * A new one-time enrol token, shown only in this answer. The host's secret keeps working
   * until an agent enrols with the token (so issuing one locks nobody out); a revoked host
   * comes back this way.
   */
  async enroll(id: string, actor: Actor): Promise<{ id: string; name: string; enrollToken: string }> {
    const host = await this.find(id);
    const enrollToken = newToken('qfe');
    await this.prisma.host.update({ where: { id }, data: { enrollTokenHash: hashToken(enrollToken), pendingSecretHash: null } });
    await this.audit.record({ actor, action: 'host.enroll', target: `host:${id}`, diff: { name: host.name } });
    return { id, name: host.name, enrollToken };
  }

  /**
   * Sends the connected agent a new secret; once it acks that it stored it, the new hash
   * replaces the old one and the old secret stops working. An offline agent is a 409, not a
   * queued rotation: the caller learns at once whether the old secret is still the one in use.
   * An ack that never comes leaves the new secret pending: the agent that did store it proves
   * so by presenting it at its next connect.
   */
  async rotate(id: string, actor: Actor): Promise<{ id: string; name: string; rotatedAt: string }> {
    const host = await this.find(id);
    if (host.revokedAt) throw new Conflict(`host ${host.name} is revoked; issue a new enrol token (POST /api/hosts/${id}/enroll) instead`);
    if (!host.secretHash) throw new Conflict(`host ${host.name} has not enrolled yet; nothing to rotate`);
    if (!(await this.fanout.connected([id])).has(id)) throw new Conflict(`host ${host.name} is not connected: its agent must be online to store a new secret`);
    const secret = newToken('qfs');
    const pending = hashToken(secret);
    await this.prisma.host.update({ where: { id }, data: { pendingSecretHash: pending } });
    let answers: unknown[];
    try {
      answers = await this.fanout.askHost(id, AgentEvent.enrolled, { hostId: id, secret }, ROTATE_ACK_TIMEOUT_MS);
    } catch {
      throw new AgentFailed(`the agent did not confirm within ${ROTATE_ACK_TIMEOUT_MS / 1000} s that it stored the new secret; the old secret works until it presents the new one`);
    }
    if (!answers.length) {
      // Connected a moment ago (the check above), yet no replica held the agent when asked:
      // it disconnected in between, or is reconnecting.
      await this.dropPending(pending);
      throw new Conflict(`host ${host.name}'s agent did not answer in time on any replica (it was connected a moment ago and may be reconnecting); the old secret still works, try again`);
    }
    const parsed = parsePayload(EnrolledAckSchema, answers[0]);
    if (!parsed.ok) throw new AgentFailed(`the agent's answer was malformed: ${describeProblems(parsed.problems)}`);
    if (!parsed.value.stored) {
      await this.dropPending(pending);
      throw new AgentFailed(`the agent could not store the new secret: ${parsed.value.message}; the old secret still works`);
    }
    const { count } = await this.prisma.host.updateMany({
      where: { id, pendingSecretHash: pending, revokedAt: null },
      data: { secretHash: pending, pendingSecretHash: null },
    });
    // The agent may have reconnected with the new secret first, which commits it too.
    if (count !== 1 && (await this.prisma.host.findUnique({ where: { id } }))?.secretHash !== pending)
      throw new Conflict(`a newer rotation, enrol token or revocation of host ${host.name} replaced this rotation`);
    const rotatedAt = new Date();
    await this.audit.record({ actor, action: 'host.rotate-secret', target: `host:${id}`, diff: { name: host.name } });
    this.logger.log(`host ${host.name} (${id}): secret rotated`);
    return { id, name: host.name, rotatedAt: rotatedAt.toISOString() };
  }

  /**
   * Ends the host's secret, pending secret and enrol token, and drops its agent on every
   * replica; a reconnect is refused with the reason. The secret's hash stays only so the
   * refusal can say "revoked" rather than "unknown"; a new enrol token brings the host back.
   */
  async revoke(id: string, actor: Actor): Promise<{ id: string; name: string; revokedAt: string }> {
    const host = await this.find(id);
    const revokedAt = new Date();
    await this.prisma.$transaction(async (tx) => {
      await tx.host.update({ where: { id }, data: { revokedAt, enrollTokenHash: null, pendingSecretHash: null } });
      await this.audit.record({ actor, action: 'host.revoke', target: `host:${id}`, diff: { name: host.name } }, tx);
    });
    this.fanout.dropHost(id, `${AgentRefusal.revoked} by ${actor.name}`);
    this.logger.warn(`host ${host.name} (${id}): agent credentials revoked by ${actor.name}`);
    return { id, name: host.name, revokedAt: revokedAt.toISOString() };
  }

  private async find(id: string): Promise<Host> {
    const host = await this.prisma.host.findUnique({ where: { id } });
    if (!host) throw new NotFound(`no host with id ${id}`);
    return host;
  }

  private async dropPending(pending: string): Promise<void> {
    await this.prisma.host.updateMany({ where: { pendingSecretHash: pending }, data: { pendingSecretHash: null } });
  }
}
