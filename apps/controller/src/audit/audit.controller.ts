import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '../errors/zod-body.pipe';
import { AuditService } from './audit.service';

const AuditQuery = z.strictObject({
  /** part of the actor's name, any case: a token's name */
  actor: z.string().min(1).max(200).optional(),
  /** an action, or its family: `rollout` matches rollout.create, rollout.apply… */
  action: z.string().min(1).max(100).optional(),
  /** exact: `host:<id>`, `group:<name>`, `rollout:<id>`, `token:<id>`… */
  target: z.string().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  /** `true`: only changes that added or altered program deliveries or assignments */
  privileged: z.enum(['true', 'false']).optional(),
});

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Who changed what, when, with the diff; newest first; filters: actor, action, target, since, until, limit, privileged=true' })
  list(@Query(new ZodBody(AuditQuery)) q: z.infer<typeof AuditQuery>) {
    return this.audit.list({ ...q, privileged: q.privileged === 'true', since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined });
  }
}
