import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { describeProblems, parseIfMatch, type RevisionPrecondition } from '@qfleet/protocol';
import { InvalidInput } from './errors';

/** The revision a config write starts from (`If-Match`); a malformed header is a 400 naming `If-Match`. */
export function ifMatchOf(header: string | string[] | undefined): RevisionPrecondition | undefined {
  const r = parseIfMatch(header);
  if (!r.ok) throw new InvalidInput(`invalid request: ${describeProblems(r.problems)}`, r.problems);
  return r.value;
}

/** `@IfMatchHeader() ifMatch`: Nest's `@Headers` takes no pipe, so the header is read here. */
export const IfMatchHeader = createParamDecorator((_: unknown, ctx: ExecutionContext) => ifMatchOf(ctx.switchToHttp().getRequest<Request>().headers['if-match']));
