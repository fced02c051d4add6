import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { QueueController } from './queue.controller';
import { QueueService } from './queue.service';
import { FleetQueueController } from './fleet-queue.controller';
import { FleetQueueService } from './fleet-queue.service';

@Module({ imports: [AgentsModule], controllers: [QueueController, FleetQueueController], providers: [QueueService, FleetQueueService] })
export class QueueModule {}
