import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostsModule } from '../hosts/hosts.module';
import { HostConfigModule } from '../host-config/host-config.module';
import { DriftController } from './drift.controller';
import { DriftService } from './drift.service';

@Module({
  imports: [AgentsModule, HostsModule, HostConfigModule],
  controllers: [DriftController],
  providers: [DriftService],
})
export class DriftModule {}
