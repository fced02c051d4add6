import { EventEmitter } from 'node:events';
import { Inject, Logger } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import { UI_NAMESPACE, UiEvent, type FleetSummary, type HostsDelta, type RolloutSummary } from '@qfleet/protocol';
import { TokensService } from '../auth/tokens.service';
import { UI_MAX_FRAME_BYTES, refuseRootNamespace } from '../sockets/socket-limits';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';

const tokenRoom = (tokenId: string) => `token:${tokenId}`;
/** Replica to replica (Redis adapter): hosts changed here, recount the fleet for your own clients. */
const HOSTS_CHANGED = 'qfleet:hosts-changed';

/**
 * The `/ui` namespace: live progress for the dashboard and `qfleet rollout watch`. Read-only,
 * so any API token (viewer and up) may listen; the token goes in the handshake's `auth`.
 * It owns the default engine path (`/socket.io`), with a small frame limit: the agents have
 * a path of their own (AGENT_SOCKET_PATH) for their large payloads. Events a client sends
 * here have no listener and are dropped.
 */
@WebSocketGateway({ namespace: UI_NAMESPACE, transports: ['websocket'], maxHttpBufferSize: UI_MAX_FRAME_BYTES })
export class UiGateway implements OnGatewayInit {
  private readonly logger = new Logger('ui');
  @WebSocketServer() private namespace?: Namespace;

  private readonly shared: boolean;
  /** `change`: another replica noticed hosts change (HostDeltas recounts the summary for this replica's clients). */
  readonly elsewhere = new EventEmitter();

  constructor(
    private readonly tokens: TokensService,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.shared = !!settings.redisUrl;
  }

  /**
   * Whether an emit may reach anyone: a client here, or (with Redis) possibly on another
   * replica. Live host views are not built for nobody.
   */
  mayHaveClients(): boolean {
    return this.shared || (this.namespace?.sockets.size ?? 0) > 0;
  }

  /** Whether a dashboard is connected to this replica (the fleet summary is sent to those only). */
  hasLocalClients(): boolean {
    return (this.namespace?.sockets.size ?? 0) > 0;
  }

  afterInit(namespace: Namespace): void {
    refuseRootNamespace(namespace.server);
    if (this.shared) namespace.on(HOSTS_CHANGED, () => this.elsewhere.emit('change'));
    namespace.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || !token) return next(new Error('an API token is required (auth: {token})'));
      this.tokens
        .authenticate(token)
        .then((actor) => {
          if (!actor) return next(new Error('unknown API token'));
          // One room per token: deleting the token drops its sockets on every replica.
          void socket.join(tokenRoom(actor.tokenId));
          next();
        })
        .catch((e: Error) => next(new Error(`cannot authenticate now: ${e.message}`)));
    });
    this.logger.log(`live progress on ${UI_NAMESPACE}`);
  }

  /**
   * Drops every open socket of a token that was deleted (through the Redis adapter, on every
   * replica): a socket authenticated once must not outlive its token.
   */
  disconnectToken(tokenId: string): void {
    this.namespace?.in(tokenRoom(tokenId)).disconnectSockets(true);
  }

  rolloutProgress(summary: RolloutSummary): void {
    this.namespace?.emit(UiEvent.rolloutProgress, summary);
  }

  /** Hosts whose view changed (HostDeltas): to every client, on every replica. */
  hostsDelta(delta: HostsDelta): void {
    this.namespace?.emit(UiEvent.hosts, delta);
  }

  /**
   * The fleet's counts to this replica's clients only, not through the adapter: every replica
   * counts for its own dashboards from the shared facts (HostDeltas), so a dashboard gets one
   * summary a tick from one source, not one per replica, each a little differently stale.
   */
  fleetSummary(summary: FleetSummary): void {
    this.namespace?.local.emit(UiEvent.fleetSummary, summary);
  }

  /** Tells the other replicas that hosts changed here, so they recount for their own clients. */
  announceHostsChanged(): void {
    if (this.shared) this.namespace?.serverSideEmit(HOSTS_CHANGED);
  }
}
