import { Module } from '@nestjs/common';
import { HostConfigModule } from '../host-config/host-config.module';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({ imports: [HostConfigModule], controllers: [GroupsController], providers: [GroupsService], exports: [GroupsService] })
export class GroupsModule {}
