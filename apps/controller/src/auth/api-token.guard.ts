import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { TokensService } from './tokens.service';
import { REQUIRED_ROLE, roleAllows, type Actor, type Role } from './roles';

export const PUBLIC_ROUTE = 'qfleet:public';

/** Every /api call takes `Authorization: Bearer …` (DESIGN.md "Interfaces"). */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(
    private readonly tokens: TokensService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('missing "Authorization: Bearer <token>" header');
    const actor = await this.tokens.authenticate(match[1]);
    if (!actor) throw new UnauthorizedException('unknown API token');
    const need = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ?? 'viewer';
    if (!roleAllows(actor.role, need)) throw new ForbiddenException(`this needs the ${need} role; the token "${actor.name}" is ${actor.role}`);
    req.actor = actor;
    return true;
  }
}
