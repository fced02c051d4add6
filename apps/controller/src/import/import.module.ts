import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { HostConfigModule } from '../host-config/host-config.module';
import { ImportController } from './import.controller';
import { ImportService } from './import.service';

@Module({ imports: [AgentsModule, HostConfigModule], controllers: [ImportController], providers: [ImportService] })
export class ImportModule {}
