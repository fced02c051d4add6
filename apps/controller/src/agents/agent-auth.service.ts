import { Injectable, Logger } from '@nestjs/common';
import { AgentRefusal } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { hashToken, newToken } from '../auth/secrets';
import type { Host } from '../generated/prisma/client';

/** Handshakes arriving within this long share one lookup of their secrets. */
const LOOKUP_BATCH_MS = 5;

const SECRET_HOLDER = { id: true, name: true, secretHash: true, revokedAt: true } as const;
type SecretHolder = Pick<Host, 'id' | 'name' | 'secretHash' | 'revokedAt'>;

/** `newSecret`: an enrolment in progress; the secret is committed only once the agent acks it. */
export type AgentIdentity = { hostId: string; hostName: string; newSecret?: string };

export type AgentAuthResult = { ok: true; identity: AgentIdentity } | { ok: false; reason: string };

/**
 * Agents enrol with a one-time token and hold a per-host secret from then on; the database
 * keeps only hashes (DESIGN.md "Security"). A secret the controller sends (at enrolment or
 * rotation) is only pending until the agent proves it stored it, by its ack or by presenting
 * it: a crash between send and store never locks a host out.
 */
@Injectable()
export class AgentAuthService {
  private readonly logger = new Logger('agents');

  private lookups = new Map<string, { resolve: (h: SecretHolder | null) => void; reject: (e: unknown) => void }[]>();
  private lookupTimer?: NodeJS.Timeout;

  constructor(private readonly prisma: PrismaService) {}

  /**
   * The host holding this secret. A connect storm (thousands of agents after a controller
   * restart) made one query per handshake; handshakes a few milliseconds apart share one.
   */
  private bySecret(secretHash: string): Promise<SecretHolder | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.lookups.get(secretHash);
      if (waiting) waiting.push({ resolve, reject });
      else this.lookups.set(secretHash, [{ resolve, reject }]);
      this.lookupTimer ??= setTimeout(() => void this.lookUp(), LOOKUP_BATCH_MS);
    });
  }

  private async lookUp(): Promise<void> {
    this.lookupTimer = undefined;
    const batch = this.lookups;
    this.lookups = new Map();
    try {
      const hashes = [...batch.keys()];
      const byHash = new Map<string | null, SecretHolder>();
      for (let i = 0; i < hashes.length; i += 1000) {
        // Only what a handshake needs: a whole row carries the host's reported files (a hash
        // per managed file), read and decoded for every agent of a storm for nothing.
        const rows = await this.prisma.host.findMany({ where: { secretHash: { in: hashes.slice(i, i + 1000) } }, select: SECRET_HOLDER });
        for (const h of rows) byHash.set(h.secretHash, h);
      }
      for (const [hash, waiters] of batch) for (const w of waiters) w.resolve(byHash.get(hash) ?? null);
    } catch (e) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
    }
  }

  async authenticate(token: string): Promise<AgentAuthResult> {
    const tokenHash = hashToken(token);
    const known = await this.bySecret(tokenHash);
    if (known) {
      if (known.revokedAt) return { ok: false, reason: `${AgentRefusal.revoked} at ${known.revokedAt.toISOString()}; an admin must issue a new enrol token (qfleet hosts enroll ${known.name})` };
      return { ok: true, identity: { hostId: known.id, hostName: known.name } };
    }
    // The agent stored a secret whose ack was lost: presenting it is the proof.
    const committed = await this.commit(tokenHash);
    if (committed) return { ok: true, identity: committed };

    const host = await this.prisma.host.findUnique({ where: { enrollTokenHash: tokenHash } });
    if (!host) return { ok: false, reason: AgentRefusal.unknownToken };
    // The enrol token stays valid until a secret is committed; a half-done attempt's pending
    // secret is replaced, so only the newest attempt can commit (the token still works once).
    const secret = newToken('qfs');
    const { count } = await this.prisma.host.updateMany({ where: { id: host.id, enrollTokenHash: tokenHash }, data: { pendingSecretHash: hashToken(secret) } });
    if (count !== 1) return { ok: false, reason: AgentRefusal.unknownToken };
    return { ok: true, identity: { hostId: host.id, hostName: host.name, newSecret: secret } };
  }

  /**
   * Makes a pending secret the host's secret, ending any enrol token and revocation. One
   * conditional update: of two racing attempts only the one whose secret is pending wins.
   */
  async commitSecret(secret: string): Promise<AgentIdentity | null> {
    return this.commit(hashToken(secret));
  }

  private async commit(pendingHash: string): Promise<AgentIdentity | null> {
    const { count } = await this.prisma.host.updateMany({
      where: { pendingSecretHash: pendingHash },
      data: { secretHash: pendingHash, pendingSecretHash: null, enrollTokenHash: null, revokedAt: null },
    });
    if (count !== 1) return null;
    const host = await this.prisma.host.findUniqueOrThrow({ where: { secretHash: pendingHash } });
    this.logger.log(`host ${host.name} (${host.id}): the agent confirmed it stored its new secret`);
    return { hostId: host.id, hostName: host.name };
  }

  /** Forgets a pending secret the agent said it could not store (if it is still the pending one). */
  async dropPending(secret: string): Promise<void> {
    await this.prisma.host.updateMany({ where: { pendingSecretHash: hashToken(secret) }, data: { pendingSecretHash: null } });
  }
}
