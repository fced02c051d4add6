import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { PrivilegedPolicy } from '../privileged/privileged-policy';
import { HostConfigController } from './host-config.controller';
import { HostConfigService } from './host-config.service';

@Module({ imports: [AgentsModule], controllers: [HostConfigController], providers: [HostConfigService, PrivilegedPolicy], exports: [HostConfigService, PrivilegedPolicy] })
export class HostConfigModule {}
