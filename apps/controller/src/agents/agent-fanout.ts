import { Inject, Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { SETTINGS } from '../settings/settings.module';
import type { Settings } from '../settings/settings';
import { AgentSessions } from './agent-sessions';

const SYNC = 'qfleet:sync';
const QUEUE = 'qfleet:queue';
export const hostRoom = (hostId: string) => `host:${hostId}`;

/**
 * Agents across controller replicas. Alone (no REDIS_URL) a replica knows every agent there
 * is; with Redis, an agent may be connected to another replica: this asks socket.io's Redis
 * adapter which hosts are connected anywhere, and asks the replica holding an agent to send
 * it its newest revision.
 */
@Injectable()
export class AgentFanout {
  private namespace?: Namespace;
  private readonly shared: boolean;

  constructor(
    private readonly sessions: AgentSessions,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.shared = !!settings.redisUrl;
  }

  /** Called once the `/agents` namespace exists; `onSync` runs when another replica asks. */
  attach(namespace: Namespace, on: { sync(hostId: string, force: boolean): void; queueStats(hostId: string, stats: unknown): void }): void {
    this.namespace = namespace;
    if (!this.shared) return;
    namespace.on(SYNC, (hostId: unknown, force: unknown) => typeof hostId === 'string' && on.sync(hostId, force === true));
    namespace.on(QUEUE, (hostId: unknown, stats: unknown) => typeof hostId === 'string' && on.queueStats(hostId, stats));
  }

  /** Hands an agent's queue figures to the other replicas: dashboards, /metrics and health gates read them anywhere. */
  shareQueueStats(hostId: string, stats: unknown): void {
    if (this.shared && this.namespace) this.namespace.serverSideEmit(QUEUE, hostId, stats);
  }

  /** Asks the other replicas to send a host its newest revision (the one holding its agent will). */
  requestSync(hostId: string, force: boolean): void {
    if (this.shared && this.namespace) this.namespace.serverSideEmit(SYNC, hostId, force);
  }

  /** Which of these hosts have an agent connected to any replica. */
  async connected(hostIds: string[]): Promise<Set<string>> {
    const here = new Set(hostIds.filter((id) => this.sessions.isConnected(id)));
    if (!this.shared || !this.namespace || here.size === hostIds.length || !hostIds.length) return here;
    const sockets = await this.namespace.in(hostIds.map(hostRoom)).fetchSockets();
    for (const s of sockets) if (typeof s.data?.hostId === 'string') here.add(s.data.hostId);
    return here;
  }
}
