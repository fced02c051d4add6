import { Module } from '@nestjs/common';
import { AgentAuthService } from './agent-auth.service';
import { AgentSessions } from './agent-sessions';
import { AgentsGateway } from './agents.gateway';
import { ApplyDispatcher } from './apply-dispatcher.service';

@Module({
  providers: [AgentAuthService, AgentSessions, ApplyDispatcher, AgentsGateway],
  exports: [AgentSessions, ApplyDispatcher],
})
export class AgentsModule {}
