import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiTokenGuard } from './api-token.guard';
import { TokensService } from './tokens.service';
import { RateLimits } from './rate-limits.service';

@Module({
  providers: [TokensService, RateLimits, { provide: APP_GUARD, useClass: ApiTokenGuard }],
  exports: [TokensService],
})
export class AuthModule {}
