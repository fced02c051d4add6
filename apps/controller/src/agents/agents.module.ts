import { Module } from '@nestjs/common';
import { AgentAuthService } from './agent-auth.service';
import { AgentSessions } from './agent-sessions';
import { AgentsGateway } from './agents.gateway';
import { ApplyDispatcher } from './apply-dispatcher.service';
import { AgentRequests } from './agent-requests.service';
import { AgentFanout } from './agent-fanout';

@Module({
  providers: [AgentAuthService, AgentSessions, AgentFanout, ApplyDispatcher, AgentRequests, AgentsGateway],
  exports: [AgentSessions, AgentFanout, ApplyDispatcher, AgentRequests],
})
export class AgentsModule {}
