import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Actor } from './roles';
import { PUBLIC_ROUTE } from './api-token.guard';

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ actor: Actor }>().actor;
});

export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
