import { Module } from '@nestjs/common';
import { ApiTokensController } from './tokens.controller';
import { ApiTokensService } from './tokens.service';

/** `/api/tokens`: API tokens for people and scripts, admin only (DESIGN.md "Security"). */
@Module({ controllers: [ApiTokensController], providers: [ApiTokensService] })
export class TokensModule {}
