import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import type { Server, ServerOptions } from 'socket.io';

/**
 * socket.io over Redis, for several controller replicas on one PostgreSQL (DESIGN.md "Data
 * and scale"): a `/ui` event reaches the dashboards connected to every replica, and a replica
 * can reach an agent connected to another (see AgentFanout). Agents use the WebSocket
 * transport only, so the load balancer needs no sticky sessions.
 */
export class RedisIoAdapter extends IoAdapter {
  private adapter?: ReturnType<typeof createAdapter>;
  private clients: Redis[] = [];

  constructor(app: INestApplicationContext) {
    super(app);
  }

  /** Connects both clients, or fails with one line naming the URL's host. */
  async connect(url: string, key: string): Promise<void> {
    const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    const sub = pub.duplicate();
    this.clients = [pub, sub];
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (e) {
      this.clients.forEach((c) => c.disconnect());
      throw new Error(`cannot reach Redis at ${new URL(url).host}: ${(e as Error).message}`);
    }
    this.adapter = createAdapter(pub, sub, { key });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options) as Server;
    if (this.adapter) server.adapter(this.adapter);
    return server;
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    this.clients.forEach((c) => c.disconnect());
  }
}
