import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ActionsController } from './actions.controller';
import { FleetActionsController } from './fleet-actions.controller';
import { ActionsService } from './actions.service';

@Module({ imports: [AgentsModule], controllers: [ActionsController, FleetActionsController], providers: [ActionsService] })
export class ActionsModule {}
