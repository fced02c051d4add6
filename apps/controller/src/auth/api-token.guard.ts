import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { TokensService } from './tokens.service';
import { RateLimits, TooManyRequests } from './rate-limits.service';
import { REQUIRED_ROLE, roleAllows, type Actor, type Role } from './roles';

export const PUBLIC_ROUTE = 'qfleet:public';

/**
 * Every /api call takes `Authorization: Bearer …` (DESIGN.md "Interfaces"), and spends from
 * its token's rate budget; calls without a valid token spend from their address's.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(
    private readonly tokens: TokensService,
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    try {
      return await this.check(context, req);
    } catch (e) {
      if (e instanceof TooManyRequests) context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(e.retryAfterSec));
      throw e;
    }
  }

  private async check(context: ExecutionContext, req: Request & { actor?: Actor }): Promise<boolean> {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) {
      await this.limits.spendAnonymous(address);
      return true;
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      await this.limits.spendAnonymous(address);
      throw new UnauthorizedException('missing "Authorization: Bearer <token>" header');
    }
    await this.limits.checkAnonymous(address);
    const actor = await this.tokens.authenticate(match[1]);
    if (!actor) {
      await this.limits.spendAnonymous(address);
      throw new UnauthorizedException('unknown API token');
    }
    await this.limits.spendToken(actor.tokenId, actor.name);
    const need = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ?? 'viewer';
    if (!roleAllows(actor.role, need)) throw new ForbiddenException(`this needs the ${need} role; the token "${actor.name}" is ${actor.role}`);
    req.actor = actor;
    return true;
  }
}
