import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostConfigModule } from '../host-config/host-config.module';
import { HostsController } from './hosts.controller';
import { HostsService } from './hosts.service';

@Module({ imports: [AgentsModule, HostConfigModule], controllers: [HostsController], providers: [HostsService], exports: [HostsService] })
export class HostsModule {}
