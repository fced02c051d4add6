import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UiGateway } from './ui.gateway';

@Global()
@Module({ imports: [AuthModule], providers: [UiGateway], exports: [UiGateway] })
export class UiModule {}
