import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostConfigModule } from '../host-config/host-config.module';
import { RolloutsController } from './rollouts.controller';
import { RolloutsService } from './rollouts.service';
import { RolloutRunner } from './rollout-runner.service';
import { RolloutPlanner } from './rollout-planner';

@Module({ imports: [AgentsModule, HostConfigModule], controllers: [RolloutsController], providers: [RolloutPlanner, RolloutRunner, RolloutsService] })
export class RolloutsModule {}
