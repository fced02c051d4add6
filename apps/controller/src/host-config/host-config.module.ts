import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostConfigController } from './host-config.controller';
import { HostConfigService } from './host-config.service';

@Module({ imports: [AgentsModule], controllers: [HostConfigController], providers: [HostConfigService], exports: [HostConfigService] })
export class HostConfigModule {}
