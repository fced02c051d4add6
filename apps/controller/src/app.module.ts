import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SettingsModule } from './settings/settings.module';
import { DatabaseModule } from './database/database.module';
import type { OpenDatabase } from './database/open-database';
import { AuthModule } from './auth/auth.module';
import { AuditModule } from './audit/audit.module';
import { AgentsModule } from './agents/agents.module';
import { HostsModule } from './hosts/hosts.module';
import { HostConfigModule } from './host-config/host-config.module';
import { DriftModule } from './drift/drift.module';
import { ImportModule } from './import/import.module';
import { QueueStatsModule, StatsModule } from './stats/stats.module';
import { QueueModule } from './queue/queue.module';
import { MailboxStatsModule, MailboxStatsStoreModule } from './mailbox-stats';
import { MailboxesModule } from './mailboxes/mailboxes.module';
import { TokensModule } from './tokens/tokens.module';
import { GroupsModule } from './groups/groups.module';
import { ActionsModule } from './actions/actions.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { UiModule } from './ui/ui.module';
import { HealthController } from './health.controller';
import { ApiDocsController, OpenApiDocument } from './api-docs.controller';
import { HttpExceptionFilter } from './errors/http-exception.filter';

@Module({
  imports: [SettingsModule, QueueStatsModule, AuthModule, AuditModule, AgentsModule, HostsModule, HostConfigModule, DriftModule, ImportModule, StatsModule, QueueModule, MailboxesModule, TokensModule, ActionsModule, GroupsModule, UiModule, RolloutsModule, MailboxStatsStoreModule, MailboxStatsModule],
  controllers: [HealthController, ApiDocsController],
  providers: [OpenApiDocument, { provide: APP_FILTER, useClass: HttpExceptionFilter }],
})
export class AppModule {
  static forRoot(db: OpenDatabase): DynamicModule {
    return { module: AppModule, imports: [DatabaseModule.forRoot(db)] };
  }
}
