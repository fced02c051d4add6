import { Global, Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { QueueStatsService } from './queue-stats.service';
import { MetricsService } from './metrics.service';
import { StatsController } from './stats.controller';
import { MetricsListener } from './metrics-listener';

/** Global so the agents' gateway can record what agents report without a module cycle. */
@Global()
@Module({ providers: [QueueStatsService], exports: [QueueStatsService] })
export class QueueStatsModule {}

@Module({ imports: [AgentsModule], controllers: [StatsController], providers: [MetricsService, MetricsListener] })
export class StatsModule {}
