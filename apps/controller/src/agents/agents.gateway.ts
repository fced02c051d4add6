import { Logger } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import {
  AGENT_NAMESPACE,
  AgentAuthSchema,
  AgentEvent,
  HelloSchema,
  QueueStatsSchema,
  MAX_SOCKET_PAYLOAD_BYTES,
  describeProblems,
  parsePayload,
  type Hello,
} from '@qfleet/protocol';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';
import { AgentAuthService, type AgentIdentity } from './agent-auth.service';
import { AgentSessions } from './agent-sessions';
import { AgentFanout, hostRoom } from './agent-fanout';
import { ApplyDispatcher } from './apply-dispatcher.service';
import { QueueStatsService } from '../stats/queue-stats.service';

type AgentSocket = Socket & { data: AgentIdentity };

/**
 * The `/agents` namespace (DESIGN.md "Agent protocol"). WebSocket transport only, so
 * replicas behind a load balancer need no sticky sessions. Every event is scoped to the
 * host the socket authenticated as; no payload names a host.
 */
@WebSocketGateway({
  namespace: AGENT_NAMESPACE,
  transports: ['websocket'],
  // socket.io drops a larger frame without a word; frames up to this size reach the
  // packet check below, which answers with `refused` before it disconnects.
  maxHttpBufferSize: 2 * MAX_SOCKET_PAYLOAD_BYTES,
})
export class AgentsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('agents');

  constructor(
    private readonly auth: AgentAuthService,
    private readonly sessions: AgentSessions,
    private readonly dispatcher: ApplyDispatcher,
    private readonly prisma: PrismaService,
    private readonly queueStats: QueueStatsService,
    private readonly fanout: AgentFanout,
  ) {}

  afterInit(namespace: Namespace): void {
    this.fanout.attach(namespace, {
      sync: (hostId, force) => void this.dispatcher.sync(hostId, { force, fromPeer: true }),
      // Checked again: what a peer hands on is still a payload from the network.
      queueStats: (hostId, stats) => {
        const parsed = parsePayload(QueueStatsSchema, stats);
        if (parsed.ok) this.queueStats.remember(hostId, parsed.value);
      },
    });
    namespace.use((socket, next) => {
      const parsed = parsePayload(AgentAuthSchema, socket.handshake.auth);
      if (!parsed.ok) return next(new Error(`bad handshake: ${describeProblems(parsed.problems)}`));
      this.auth
        .authenticate(parsed.value.token)
        .then((identity) => {
          if (!identity) return next(new Error('unknown or already used agent token'));
          socket.data = identity;
          next();
        })
        .catch((e: Error) => next(new Error(`cannot authenticate now: ${e.message}`)));
    });
  }

  handleConnection(socket: AgentSocket): void {
    const { hostId, hostName, newSecret } = socket.data;
    if (!hostId) return;
    this.sessions.attach(hostId, socket);
    void socket.join(hostRoom(hostId));
    this.logger.log(`host ${hostName} connected from ${socket.handshake.address}`);
    if (newSecret) {
      socket.emit(AgentEvent.enrolled, { hostId, secret: newSecret });
      socket.data.newSecret = undefined;
    }
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      const size = typeof packet.data === 'string' ? Buffer.byteLength(packet.data) : Buffer.isBuffer(packet.data) ? packet.data.length : 0;
      if (size > MAX_SOCKET_PAYLOAD_BYTES) this.refuse(socket, `payload of ${size} bytes is over the ${MAX_SOCKET_PAYLOAD_BYTES}-byte limit`);
    });
    socket.on(AgentEvent.hello, (payload: unknown) => this.handleReport(socket, payload, 'hello'));
    socket.on(AgentEvent.report, (payload: unknown) => this.handleReport(socket, payload, 'report'));
    socket.on(AgentEvent.queueStats, (payload: unknown) => {
      const parsed = parsePayload(QueueStatsSchema, payload);
      if (!parsed.ok) return this.refuse(socket, `invalid queue.stats: ${describeProblems(parsed.problems)}`);
      void this.queueStats.record(socket.data.hostId, parsed.value);
      this.fanout.shareQueueStats(socket.data.hostId, parsed.value);
    });
  }

  handleDisconnect(socket: AgentSocket): void {
    const { hostId, hostName } = socket.data ?? {};
    if (!hostId) return;
    this.sessions.detach(hostId, socket);
    this.logger.log(`host ${hostName} disconnected`);
    void this.prisma.host.update({ where: { id: hostId }, data: { lastSeen: new Date() } }).catch(() => undefined);
  }

  /**
   * A report that cannot be stored (the database restarting) is dropped with a warning: the
   * agent sends the same facts again at its next report, so nothing is lost, and an unhandled
   * rejection here would take the whole controller down.
   */
  private handleReport(socket: AgentSocket, payload: unknown, kind: 'hello' | 'report'): void {
    this.onReport(socket, payload, kind).catch((e: Error) => this.logger.warn(`host ${socket.data.hostName}: ${kind} not stored: ${e.message.split('\n').at(-1)}`));
  }

  private async onReport(socket: AgentSocket, payload: unknown, kind: 'hello' | 'report'): Promise<void> {
    if (!socket.connected) return;
    const parsed = parsePayload(HelloSchema, payload);
    if (!parsed.ok) return this.refuse(socket, `invalid ${kind}: ${describeProblems(parsed.problems)}`);
    const hello: Hello = parsed.value;
    const { hostId } = socket.data;
    // The row as updated is what afterReport decides on: no second read per report.
    const host = await this.prisma.host.update({
      where: { id: hostId },
      data: {
        lastSeen: new Date(),
        agentVersion: hello.agentVersion,
        appliedRevision: hello.appliedRevision,
        qmail: hello.qmail as Prisma.InputJsonValue,
        reportedFiles: hello.files as Prisma.InputJsonValue,
      },
    });
    await this.dispatcher.afterReport(host);
  }

  private refuse(socket: AgentSocket, message: string): void {
    this.logger.warn(`host ${socket.data.hostName}: ${message}; disconnecting`);
    socket.emit(AgentEvent.refused, { message });
    // Let the refusal reach the agent before the transport closes.
    setTimeout(() => socket.disconnect(true), 50);
  }
}
