import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FleetSummary } from '@qfleet/protocol';
import { HostsService } from './hosts.service';

@ApiTags('hosts')
@ApiBearerAuth()
@Controller('fleet')
export class FleetController {
  constructor(private readonly hosts: HostsService) {}

  @Get('summary')
  @ApiOperation({ summary: 'How many hosts are connected, offline, failed, pending, drifted, held, with qmail down; the queued messages and the oldest' })
  summary(): Promise<FleetSummary> {
    return this.hosts.summary();
  }
}
