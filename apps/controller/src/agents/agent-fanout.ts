import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { AgentEvent } from '@qfleet/protocol';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { AgentSessions } from './agent-sessions';
import { PRESENCE_BEAT_MS, ReplicaPresence } from './replica-presence';

const SYNC = 'qfleet:sync';
const QUEUE = 'qfleet:queue';
const MAILBOXES = 'qfleet:mailboxes';
const PRESENCE = { delta: 'qfleet:presence', snapshot: 'qfleet:presence-all', beat: 'qfleet:presence-beat', resync: 'qfleet:presence-resync' };
export const hostRoom = (hostId: string) => `host:${hostId}`;

/**
 * Agents across controller replicas. Alone (no REDIS_URL) a replica knows every agent there
 * is; with Redis, an agent may be connected to another replica: this asks socket.io's Redis
 * adapter which hosts are connected anywhere, and asks the replica holding an agent to send
 * it its newest revision. Which hosts the others hold is kept from what they tell each other
 * (ReplicaPresence), so a page of the host list asks no replica.
 */
@Injectable()
export class AgentFanout implements OnModuleDestroy {
  private namespace?: Namespace;
  private readonly shared: boolean;
  private presence?: ReplicaPresence;
  private beat?: NodeJS.Timeout;

  constructor(
    private readonly sessions: AgentSessions,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.shared = !!settings.redisUrl;
  }

  /** Called once the `/agents` namespace exists; `onSync` runs when another replica asks. */
  attach(namespace: Namespace, on: { sync(hostId: string, force: boolean): void; queueStats(hostId: string, stats: unknown): void; mailboxStats?(hostId: string, stats: unknown): void }): void {
    this.namespace = namespace;
    if (!this.shared) return;
    namespace.on(SYNC, (hostId: unknown, force: unknown) => typeof hostId === 'string' && on.sync(hostId, force === true));
    namespace.on(QUEUE, (hostId: unknown, stats: unknown) => typeof hostId === 'string' && on.queueStats(hostId, stats));
    namespace.on(MAILBOXES, (hostId: unknown, stats: unknown) => typeof hostId === 'string' && on.mailboxStats?.(hostId, stats));
    this.sharePresence(namespace);
  }

  onModuleDestroy(): void {
    clearInterval(this.beat);
  }

  /** Tells the other replicas which agents this one holds, and keeps what they tell (ReplicaPresence). */
  private sharePresence(namespace: Namespace): void {
    const str = (x: unknown): x is string => typeof x === 'string';
    namespace.on(PRESENCE.delta, (uid: unknown, hostId: unknown, on: unknown) => str(uid) && str(hostId) && this.presence?.onDelta(uid, hostId, on === true));
    namespace.on(PRESENCE.snapshot, (uid: unknown, ids: unknown) => str(uid) && Array.isArray(ids) && this.presence?.onSnapshot(uid, ids.filter(str)));
    namespace.on(PRESENCE.beat, (uid: unknown, count: unknown, digest: unknown) => str(uid) && typeof count === 'number' && typeof digest === 'number' && this.presence?.onBeat(uid, count, digest));
    namespace.on(PRESENCE.resync, (target: unknown) => str(target) && this.presence?.onResync(target));
    const presence = new ReplicaPresence(randomUUID(), {
      delta: (uid, hostId, on) => namespace.serverSideEmit(PRESENCE.delta, uid, hostId, on),
      snapshot: (uid, ids) => namespace.serverSideEmit(PRESENCE.snapshot, uid, ids),
      beat: (uid, count, digest) => namespace.serverSideEmit(PRESENCE.beat, uid, count, digest),
      resync: (target) => namespace.serverSideEmit(PRESENCE.resync, target),
    });
    this.presence = presence;
    presence.start();
    this.sessions.changes.on('host', (hostId: string) => presence.localChanged(hostId, this.sessions.isConnected(hostId)));
    this.beat = setInterval(() => presence.tick(), PRESENCE_BEAT_MS);
    this.beat.unref();
  }

  /** Hands an agent's queue figures to the other replicas: dashboards, /metrics and health gates read them anywhere. */
  shareQueueStats(hostId: string, stats: unknown): void {
    if (this.shared && this.namespace) this.namespace.serverSideEmit(QUEUE, hostId, stats);
  }

  /** Hands an agent's mailbox figures to the other replicas (issue 14). */
  shareMailboxStats(hostId: string, stats: unknown): void {
    if (this.shared && this.namespace) this.namespace.serverSideEmit(MAILBOXES, hostId, stats);
  }

  /** Asks the other replicas to send a host its newest revision (the one holding its agent will). */
  requestSync(hostId: string, force: boolean): void {
    if (this.shared && this.namespace) this.namespace.serverSideEmit(SYNC, hostId, force);
  }

  /** Which of these hosts have an agent connected to any replica. */
  async connected(hostIds: string[]): Promise<Set<string>> {
    const here = new Set(hostIds.filter((id) => this.sessions.isConnected(id)));
    if (!this.shared || !this.namespace || here.size === hostIds.length || !hostIds.length) return here;
    const presence = this.presence;
    if (presence?.settled) {
      for (const id of hostIds) if (!here.has(id) && presence.elsewhere(id)) here.add(id);
      return here;
    }
    // Just started: the other replicas may not have said yet what they hold; ask them.
    const sockets = await this.namespace.in(hostIds.map(hostRoom)).fetchSockets();
    for (const s of sockets) if (typeof s.data?.hostId === 'string') here.add(s.data.hostId);
    return here;
  }

  /**
   * Sends an event with an ack to a host's agent on whichever replica holds it (the Redis
   * adapter carries broadcast acks). The answers: none when no replica holds the agent.
   */
  async askHost(hostId: string, event: string, payload: unknown, timeoutMs: number): Promise<unknown[]> {
    if (!this.namespace) return [];
    return (await this.namespace.to(hostRoom(hostId)).timeout(timeoutMs).emitWithAck(event, payload)) as unknown[];
  }

  /**
   * Tells a host's agent why (when there is a message), then drops its socket on every replica,
   * except the socket `keep` (a socket id: the one that just enrolled). With Redis the drop
   * reaches this replica too, a round trip later, by when a socket that just enrolled has
   * joined the room: without the exception it would drop itself (socket.io's Redis adapter
   * handles its own disconnect requests like any other replica's).
   */
  dropHost(hostId: string, message?: string, keep?: string): void {
    if (!this.namespace) return;
    const room = keep ? this.namespace.to(hostRoom(hostId)).except(keep) : this.namespace.to(hostRoom(hostId));
    if (message) room.emit(AgentEvent.refused, { message });
    room.disconnectSockets(true);
  }
}
