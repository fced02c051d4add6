import { Module } from '@nestjs/common';
import { AgentAuthService } from './agent-auth.service';
import { AgentSessions } from './agent-sessions';
import { AgentsGateway } from './agents.gateway';
import { ApplyDispatcher } from './apply-dispatcher.service';
import { AgentRequests } from './agent-requests.service';
import { AgentFanout } from './agent-fanout';
import { AckWriter } from './ack-writer';
import { ReportWriter } from './report-writer';
import { FleetFacts } from '../hosts/fleet-facts';

@Module({
  providers: [FleetFacts, AgentAuthService, AgentSessions, AgentFanout, AckWriter, ReportWriter, ApplyDispatcher, AgentRequests, AgentsGateway],
  exports: [FleetFacts, AgentSessions, AgentFanout, ApplyDispatcher, AgentRequests, AckWriter, ReportWriter],
})
export class AgentsModule {}
