import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';

/** The agents connected to this controller process, one socket per host. */
@Injectable()
export class AgentSessions {
  private readonly sockets = new Map<string, Socket>();

  /** Registers a socket; an older socket of the same host (an agent that restarted) is dropped. */
  attach(hostId: string, socket: Socket): void {
    const old = this.sockets.get(hostId);
    this.sockets.set(hostId, socket);
    if (old && old.id !== socket.id) old.disconnect(true);
  }

  detach(hostId: string, socket: Socket): void {
    if (this.sockets.get(hostId)?.id === socket.id) this.sockets.delete(hostId);
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
