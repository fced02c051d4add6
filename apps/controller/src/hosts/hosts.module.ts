import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostsController } from './hosts.controller';
import { HostsService } from './hosts.service';

@Module({ imports: [AgentsModule], controllers: [HostsController], providers: [HostsService], exports: [HostsService] })
export class HostsModule {}
