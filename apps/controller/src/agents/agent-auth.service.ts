import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { hashToken, newToken } from '../auth/secrets';

export type AgentIdentity = { hostId: string; hostName: string; newSecret?: string };

/**
 * Agents enrol once with the host's one-time token and hold a per-host secret from then on;
 * the database keeps only hashes (DESIGN.md "Security").
 */
@Injectable()
export class AgentAuthService {
  private readonly logger = new Logger('agents');

  constructor(private readonly prisma: PrismaService) {}

  async authenticate(token: string): Promise<AgentIdentity | null> {
    const tokenHash = hashToken(token);
    const known = await this.prisma.host.findUnique({ where: { secretHash: tokenHash } });
    if (known) return { hostId: known.id, hostName: known.name };
    const secret = newToken('qfs');
    // updateMany on the token hash makes "an enrol token works once" hold under races.
    const { count } = await this.prisma.host.updateMany({
      where: { enrollTokenHash: tokenHash },
      data: { enrollTokenHash: null, secretHash: hashToken(secret) },
    });
    if (count !== 1) return null;
    const host = await this.prisma.host.findUniqueOrThrow({ where: { secretHash: hashToken(secret) } });
    this.logger.log(`host ${host.name} (${host.id}) enrolled`);
    return { hostId: host.id, hostName: host.name, newSecret: secret };
  }
}
