import { Global, Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { MailboxStatsService } from './mailbox-stats.service';
import { MailboxStatsController } from './mailbox-stats.controller';

/** Global so the agents' gateway and /metrics can reach the figures without a module cycle. */
@Global()
@Module({ providers: [MailboxStatsService], exports: [MailboxStatsService] })
export class MailboxStatsStoreModule {}

@Module({ imports: [AgentsModule], controllers: [MailboxStatsController] })
export class MailboxStatsModule {}
