import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostConfigModule } from '../host-config/host-config.module';
import { HostsController } from './hosts.controller';
import { FleetController } from './fleet.controller';
import { HostDeltas } from './host-deltas.service';
import { HostsService } from './hosts.service';
import { HostIdentityController } from './host-identity.controller';
import { HostIdentityService } from './host-identity.service';
import { HostOnboardingService } from './host-onboarding.service';

@Module({ imports: [AgentsModule, HostConfigModule], controllers: [HostsController, FleetController, HostIdentityController], providers: [HostsService, HostIdentityService, HostOnboardingService, HostDeltas], exports: [HostsService] })
export class HostsModule {}
