import { Injectable } from '@nestjs/common';
import type { ApiTokenView, CreateApiToken, CreatedApiToken } from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import { AuditService } from '../audit/audit.service';
import { hashToken, newToken } from '../auth/secrets';
import { Conflict, NotFound } from '../errors/errors';
import type { Actor, Role } from '../auth/roles';
import type { ApiToken } from '../generated/prisma/client';
import { UiGateway } from '../ui/ui.gateway';

/** Creating, listing and revoking API tokens; authenticating them is auth/TokensService's job. */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly ui: UiGateway,
  ) {}

  /** The secret is in this answer only; the database keeps its sha256 (DESIGN.md "Security"). */
  async create(input: CreateApiToken, actor: Actor): Promise<CreatedApiToken> {
    const token = newToken('qft');
    const row = await this.prisma.apiToken.create({ data: { name: input.name, role: input.role, tokenHash: hashToken(token) } });
    await this.audit.record({ actor, action: 'token.create', target: `token:${row.id}`, diff: { name: row.name, role: row.role } });
    return { id: row.id, name: row.name, role: row.role as Role, token };
  }

  async list(): Promise<ApiTokenView[]> {
    const rows = await this.prisma.apiToken.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map(view);
  }

  /** Refuses to delete the last admin token: nobody could manage tokens or hosts afterwards. */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const row = await tx.apiToken.findUnique({ where: { id } });
      if (!row) throw new NotFound(`no API token with id ${id}`);
      if (row.role === 'admin') {
        const otherAdmins = await tx.apiToken.count({ where: { role: 'admin', id: { not: id } } });
        if (otherAdmins === 0) throw new Conflict(`"${row.name}" is the last admin token; create another admin token before deleting it`);
      }
      await tx.apiToken.delete({ where: { id } });
      await this.audit.record({ actor, action: 'token.delete', target: `token:${id}`, diff: { name: row.name, role: row.role } }, tx);
    });
    // After the commit: a socket reconnecting now finds the token gone.
    this.ui.disconnectToken(id);
  }
}

function view(row: ApiToken): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: row.createdAt.toISOString(),
    lastUsed: row.lastUsed ? row.lastUsed.toISOString() : null,
  };
}
