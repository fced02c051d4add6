import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { hashToken, newToken } from './secrets';
import type { Actor, Role } from './roles';

/** The name of the token that QFLEET_ADMIN_TOKEN holds. */
export const ENV_ADMIN_TOKEN_NAME = 'QFLEET_ADMIN_TOKEN';

@Injectable()
export class TokensService implements OnApplicationBootstrap {

  /** The admin token generated at this, the first, start: printed by `serve` after everything else, once. */
  generatedAdminToken: string | undefined;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /**
   * The first admin token: QFLEET_ADMIN_TOKEN if set, else one generated and printed once,
   * at the first start, when no admin token exists yet.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.settings.adminToken) {
      const tokenHash = hashToken(this.settings.adminToken);
      await this.prisma.apiToken.upsert({
        where: { tokenHash },
        // Named once: the audit adds the role, "QFLEET_ADMIN_TOKEN (admin)". A row from an older
        // version, named "admin (QFLEET_ADMIN_TOKEN)", takes the new name.
        create: { name: ENV_ADMIN_TOKEN_NAME, role: 'admin', tokenHash },
        update: { name: ENV_ADMIN_TOKEN_NAME },
      });
      return;
    }
    const admins = await this.prisma.apiToken.count({ where: { role: 'admin' } });
    if (admins > 0) return;
    const token = newToken('qft');
    await this.prisma.apiToken.create({ data: { name: 'first admin', role: 'admin', tokenHash: hashToken(token) } });
    this.generatedAdminToken = token;
  }

  async authenticate(token: string): Promise<Actor | null> {
    const row = await this.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!row) return null;
    // At most one write a minute per token: enough to tell a live token from a forgotten one.
    const now = new Date();
    if (!row.lastUsed || now.getTime() - row.lastUsed.getTime() > 60_000)
      void this.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsed: now } }).catch(() => undefined);
    return { tokenId: row.id, name: row.name, role: row.role as Role };
  }
}
