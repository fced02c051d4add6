import { Module } from '@nestjs/common';
import { AgentAuthService } from './agent-auth.service';
import { AgentSessions } from './agent-sessions';
import { AgentsGateway } from './agents.gateway';
import { ApplyDispatcher } from './apply-dispatcher.service';
import { AgentRequests } from './agent-requests.service';

@Module({
  providers: [AgentAuthService, AgentSessions, ApplyDispatcher, AgentRequests, AgentsGateway],
  exports: [AgentSessions, ApplyDispatcher, AgentRequests],
})
export class AgentsModule {}
