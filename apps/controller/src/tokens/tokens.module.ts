import { Module } from '@nestjs/common';
import { ApiTokensController } from './tokens.controller';
import { ApiTokensService } from './tokens.service';
import { WhoAmIController } from './whoami.controller';

/** `/api/tokens`: API tokens for people and scripts, admin only (DESIGN.md "Security"); `/api/whoami` for any token. */
@Module({ controllers: [ApiTokensController, WhoAmIController], providers: [ApiTokensService] })
export class TokensModule {}
