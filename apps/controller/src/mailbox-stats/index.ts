export { MailboxStatsService } from './mailbox-stats.service';
export { MailboxStatsModule, MailboxStatsStoreModule } from './mailbox-stats.module';
export { MailboxMetrics } from './mailbox-metrics';
