import { Inject, Logger } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import {
  AGENT_NAMESPACE,
  AGENT_SOCKET_PATH,
  AgentAuthSchema,
  AgentEvent,
  EnrolledAckSchema,
  HelloSchema,
  QueueStatsSchema,
  MailboxStatsEvent,
  MailboxStatsSchema,
  MAX_SOCKET_PAYLOAD_BYTES,
  MAX_SOCKET_FRAME_BYTES,
  describeProblems,
  parsePayload,
  type Hello,
} from '@qfleet/protocol';
import { AgentAuthService, type AgentIdentity } from './agent-auth.service';
import { AgentSessions } from './agent-sessions';
import { AgentFanout, hostRoom } from './agent-fanout';
import { ApplyDispatcher } from './apply-dispatcher.service';
import { ReportWriter } from './report-writer';
import { Admission, agentCapFrom, openFilesLimit, reserveFor } from './admission';
import { QueueStatsService } from '../stats/queue-stats.service';
import { MailboxStatsService } from '../mailbox-stats/mailbox-stats.service';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { UI_MAX_FRAME_BYTES, allowLargeFrames, limitFramesBeforeAuth, refuseRootNamespace } from '../sockets/socket-limits';
import { EventBudget } from '../sockets/event-budget';

type AgentSocket = Socket & { data: AgentIdentity & { refused?: boolean; ready?: boolean } };

/** How long an agent has to store the secret it was sent and ack it. */
const ENROL_ACK_TIMEOUT_MS = 30_000;

/**
 * The `/agents` namespace (DESIGN.md "Agent protocol"). WebSocket transport only, so
 * replicas behind a load balancer need no sticky sessions. Every event is scoped to the
 * host the socket authenticated as; no payload names a host.
 *
 * Its own socket.io server on its own engine path: Nest keeps one server per port and path,
 * created with the options of the first gateway on it, and the engine reads a whole frame
 * before a namespace checks a token. On a shared path this limit held for the dashboard's
 * anonymous handshakes too (20 × 30 MB handshakes cost 700 MB). Here too frames stay small
 * until the socket has authenticated (limitFramesBeforeAuth).
 */
@WebSocketGateway({
  namespace: AGENT_NAMESPACE,
  path: AGENT_SOCKET_PATH,
  transports: ['websocket'],
  // The engine closes the connection on a larger frame (WebSocket close 1009) without a word;
  // frames up to this size reach the packet check below, which answers `refused` first.
  maxHttpBufferSize: MAX_SOCKET_FRAME_BYTES,
})
export class AgentsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('agents');
  private readonly events: EventBudget;
  private readonly admission: Admission;
  /** Resolves true once a socket is its host's (at once, or after an enrolment's ack). */
  private readonly ready = new WeakMap<Socket, Promise<boolean>>();

  constructor(
    @Inject(SETTINGS) settings: Settings,
    private readonly auth: AgentAuthService,
    private readonly sessions: AgentSessions,
    private readonly dispatcher: ApplyDispatcher,
    private readonly reports: ReportWriter,
    private readonly queueStats: QueueStatsService,
    private readonly fanout: AgentFanout,
    private readonly mailboxStats: MailboxStatsService,
  ) {
    this.events = new EventBudget(settings.agentEventsPerMinute);
    const limit = openFilesLimit();
    const cap = settings.maxAgents ?? agentCapFrom(limit);
    this.admission = new Admission(cap, settings.agentAdmitPerSecond, (line) => this.logger.warn(line));
    const why = settings.maxAgents !== undefined ? 'QFLEET_MAX_AGENTS' : limit === null ? 'no open-files limit known' : `open-files limit ${limit}, ${reserveFor(limit)} kept for the database, the API and files`;
    this.logger.log(`agents: at most ${cap === Infinity ? 'unlimited' : cap} connected (${why}), admitted at ${settings.agentAdmitPerSecond} a second (QFLEET_AGENT_ADMIT_PER_SECOND)`);
  }

  afterInit(namespace: Namespace): void {
    refuseRootNamespace(namespace.server);
    limitFramesBeforeAuth(namespace.server, UI_MAX_FRAME_BYTES, (line) => this.logger.warn(line));
    this.fanout.attach(namespace, {
      sync: (hostId, force) => void this.dispatcher.sync(hostId, { force, fromPeer: true }),
      // Checked again: what a peer hands on is still a payload from the network.
      queueStats: (hostId, stats) => {
        const parsed = parsePayload(QueueStatsSchema, stats);
        if (parsed.ok) this.queueStats.remember(hostId, parsed.value);
      },
      mailboxStats: (hostId, stats) => {
        const parsed = parsePayload(MailboxStatsSchema, stats);
        if (parsed.ok) this.mailboxStats.remember(hostId, parsed.value);
      },
    });
    // Before authentication, which costs a database lookup: the cap on open agent connections
    // (each an open file; the engine counts this one too), then the handshakes still waiting for
    // the database and the admission rate; a refusal for those carries the agent's appointment.
    // Every admitted handshake is settled once its authentication is over.
    namespace.use((_socket, next) => {
      const refused = this.admission.refusal(namespace.server.engine.clientsCount);
      if (!refused) return next();
      // socket.io hands `data` to the client's connect_error: the agent's appointment.
      next(Object.assign(new Error(refused.message), refused.hint ? { data: refused.hint } : {}));
    });
    namespace.use((socket, next) => {
      const parsed = parsePayload(AgentAuthSchema, socket.handshake.auth);
      if (!parsed.ok) {
        this.admission.settled();
        return next(new Error(`bad handshake: ${describeProblems(parsed.problems)}`));
      }
      this.auth
        .authenticate(parsed.value.token)
        .finally(() => this.admission.settled())
        .then((result) => {
          if (!result.ok) return next(new Error(result.reason));
          socket.data = result.identity;
          next();
        })
        .catch((e: Error) => next(new Error(`cannot authenticate now: ${e.message}`)));
    });
  }

  handleConnection(socket: AgentSocket): void {
    const { hostId, hostName, newSecret } = socket.data;
    if (!hostId) return;
    allowLargeFrames(socket, MAX_SOCKET_FRAME_BYTES);
    // Never in socket.data past this point: other replicas can fetch it through Redis.
    socket.data.newSecret = undefined;
    // A socket that enrols is the host's only once its agent confirmed it stored the secret;
    // its events wait for that (the hello is sent at connect, before the ack).
    const ready = newSecret ? this.confirmEnrolment(socket, newSecret) : Promise.resolve(true);
    this.ready.set(socket, ready);
    void ready.then((ok) => {
      socket.data.ready = ok;
      if (!ok || !socket.connected) return;
      this.sessions.attach(hostId, socket);
      void socket.join(hostRoom(hostId));
      this.logger.log(`host ${hostName} connected from ${socket.handshake.address}`);
    });
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      const size = typeof packet.data === 'string' ? Buffer.byteLength(packet.data) : Buffer.isBuffer(packet.data) ? packet.data.length : 0;
      if (size > MAX_SOCKET_PAYLOAD_BYTES) this.refuse(socket, `payload of ${size} bytes is over the ${MAX_SOCKET_PAYLOAD_BYTES}-byte limit`);
    });
    // Every event the agent emits spends from its host's budget; unknown events have no
    // listener and are dropped, but they spend too.
    socket.use((_packet, next) => {
      if (this.events.take(hostId)) next();
      else this.refuse(socket, `more than ${this.events.perMinute} events a minute (QFLEET_AGENT_EVENTS_PER_MINUTE)`);
    });
    socket.on(AgentEvent.hello, (payload: unknown) => this.handleReport(socket, payload, 'hello'));
    socket.on(AgentEvent.report, (payload: unknown) => this.handleReport(socket, payload, 'report'));
    socket.on(AgentEvent.queueStats, (payload: unknown) => {
      if (socket.data.ready) this.onQueueStats(socket, payload);
      else void this.ready.get(socket)?.then((ok) => ok && this.onQueueStats(socket, payload));
    });
    socket.on(MailboxStatsEvent, async (payload: unknown) => {
      if (!(await this.ready.get(socket))) return;
      const parsed = parsePayload(MailboxStatsSchema, payload);
      if (!parsed.ok) return this.refuse(socket, `invalid ${MailboxStatsEvent}: ${describeProblems(parsed.problems)}`);
      this.mailboxStats.record(socket.data.hostId, parsed.value);
      this.fanout.shareMailboxStats(socket.data.hostId, parsed.value);
    });
  }

  /** The most frequent event (every 10 s per agent): no promise once the socket is ready. */
  private onQueueStats(socket: AgentSocket, payload: unknown): void {
    const parsed = parsePayload(QueueStatsSchema, payload);
    if (!parsed.ok) return this.refuse(socket, `invalid queue.stats: ${describeProblems(parsed.problems)}`);
    this.queueStats.record(socket.data.hostId, parsed.value);
    this.fanout.shareQueueStats(socket.data.hostId, parsed.value);
    this.sessions.queueChanged(socket.data.hostId);
  }

  handleDisconnect(socket: AgentSocket): void {
    const { hostId, hostName } = socket.data ?? {};
    if (!hostId) return;
    this.sessions.detach(hostId, socket);
    this.logger.log(`host ${hostName} disconnected`);
    this.reports.seen(hostId);
  }

  /**
   * Sends the new secret and commits it once the agent acks that it stored it. Until then the
   * enrol token keeps working; a failed or unanswered attempt only drops this socket.
   */
  private async confirmEnrolment(socket: AgentSocket, secret: string): Promise<boolean> {
    const { hostId, hostName } = socket.data;
    let raw: unknown;
    try {
      raw = await socket.timeout(ENROL_ACK_TIMEOUT_MS).emitWithAck(AgentEvent.enrolled, { hostId, secret });
    } catch {
      if (socket.connected) this.refuse(socket, `the agent did not confirm within ${ENROL_ACK_TIMEOUT_MS / 1000} s that it stored its secret; the enrol token still works`);
      return false;
    }
    const parsed = parsePayload(EnrolledAckSchema, raw);
    if (!parsed.ok) {
      this.refuse(socket, `malformed answer to enrolled: ${describeProblems(parsed.problems)}; the enrol token still works`);
      return false;
    }
    if (!parsed.value.stored) {
      await this.auth.dropPending(secret);
      this.refuse(socket, `the agent could not store its secret (${parsed.value.message}); the enrol token still works`);
      return false;
    }
    if (!(await this.auth.commitSecret(secret))) {
      this.refuse(socket, 'a newer enrolment of this host replaced this one');
      return false;
    }
    // An agent still holding the old secret (a reinstalled host's old copy) is dropped on
    // every replica, not this socket (it joins the host's room only after this, but with Redis
    // the drop may arrive after the join).
    this.fanout.dropHost(hostId, undefined, socket.id);
    this.logger.log(`host ${hostName} (${hostId}) enrolled`);
    return true;
  }

  /**
   * A report that cannot be stored (the database restarting) is dropped (ReportWriter warns
   * once): the agent sends the same facts again at its next report, so nothing is lost, and an
   * unhandled rejection here would take the whole controller down.
   */
  private handleReport(socket: AgentSocket, payload: unknown, kind: 'hello' | 'report'): void {
    this.onReport(socket, payload, kind).catch((e: Error) => this.logger.warn(`host ${socket.data.hostName}: ${kind} not stored: ${e.message.split('\n').at(-1)}`));
  }

  private async onReport(socket: AgentSocket, payload: unknown, kind: 'hello' | 'report'): Promise<void> {
    if (!(await this.ready.get(socket)) || !socket.connected) return;
    const parsed = parsePayload(HelloSchema, payload);
    if (!parsed.ok) return this.refuse(socket, `invalid ${kind}: ${describeProblems(parsed.problems)}`);
    const hello: Hello = parsed.value;
    // Written in a batch with other hosts' reports; the row as written is what afterReport
    // decides on (null: not stored now, the agent says it again at its next report).
    const host = await this.reports.report(socket.data.hostId, hello, kind === 'hello');
    if (host) await this.dispatcher.afterReport(host);
  }

  private refuse(socket: AgentSocket, message: string): void {
    // Once per socket: a flood goes on arriving until the transport closes.
    if (socket.data.refused) return;
    socket.data.refused = true;
    this.logger.warn(`host ${socket.data.hostName}: ${message}; disconnecting`);
    socket.emit(AgentEvent.refused, { message });
    // Let the refusal reach the agent before the transport closes.
    setTimeout(() => socket.disconnect(true), 50);
  }
}
