import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  list(@Query('target') target?: string, @Query('limit') limit?: string) {
    return this.audit.list({ target, limit: limit ? Number(limit) || undefined : undefined });
  }
}
