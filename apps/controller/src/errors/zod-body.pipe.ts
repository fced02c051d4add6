import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { describeProblems, parsePayload } from '@qfleet/protocol';
import { InvalidInput } from './errors';

/** Validates a request body against a libs/protocol schema; a 400 names every bad field. */
export class ZodBody<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: z.ZodType<T>) {}

  transform(value: unknown): T {
    const r = parsePayload(this.schema, value);
    if (!r.ok) throw new InvalidInput(`invalid request: ${describeProblems(r.problems)}`, r.problems);
    return r.value;
  }
}
