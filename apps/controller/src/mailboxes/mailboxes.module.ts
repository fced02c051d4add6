import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { MailboxesController } from './mailboxes.controller';
import { MailboxesService } from './mailboxes.service';

@Module({ imports: [AgentsModule], controllers: [MailboxesController], providers: [MailboxesService] })
export class MailboxesModule {}
