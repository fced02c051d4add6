import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';

/** The agents connected to this controller process, one socket per host. */
@Injectable()
export class AgentSessions {
  private readonly sockets = new Map<string, Socket>();
  /**
   * 'host' (hostId) when what this process alone knows of a host changed: its agent connected
   * or went, or sent queue figures. Only the replica holding the agent says so, so a `/ui`
   * delta is sent once however many replicas there are.
   */
  readonly changes = new EventEmitter();

  constructor() {
    this.changes.setMaxListeners(0);
  }

  changed(hostId: string): void {
    this.changes.emit('host', hostId);
  }

  /** 'queue' (hostId): only the host's queue figures changed (no row to read again for its view). */
  queueChanged(hostId: string): void {
    this.changes.emit('queue', hostId);
  }

  /** Registers a socket; an older socket of the same host (an agent that restarted) is dropped. */
  attach(hostId: string, socket: Socket): void {
    const old = this.sockets.get(hostId);
    this.sockets.set(hostId, socket);
    if (old && old.id !== socket.id) old.disconnect(true);
    this.changed(hostId);
  }

  detach(hostId: string, socket: Socket): void {
    if (this.sockets.get(hostId)?.id !== socket.id) return;
    this.sockets.delete(hostId);
    this.changed(hostId);
  }

  get(hostId: string): Socket | undefined {
    return this.sockets.get(hostId);
  }

  isConnected(hostId: string): boolean {
    return this.sockets.has(hostId);
  }

  count(): number {
    return this.sockets.size;
  }
}
