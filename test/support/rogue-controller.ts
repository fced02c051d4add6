import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { AGENT_NAMESPACE, AGENT_SOCKET_PATH, AgentEvent } from '@qfleet/protocol';

/**
 * A controller the test controls, speaking the `/agents` protocol
 * (libs/protocol/src/agent-events.ts): it accepts any agent and sends whatever `config.apply`
 * a case crafts, as a compromised or impersonated controller would. The agent must refuse
 * it by itself.
 */
export class RogueController {
  private agent?: Socket;
  private waiting: ((s: Socket) => void)[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly io: Server,
    readonly url: string,
  ) {
    io.of(AGENT_NAMESPACE).on('connection', (socket) => {
      this.agent = socket;
      this.waiting.splice(0).forEach((w) => w(socket));
    });
  }

  static async start(): Promise<RogueController> {
    const server = http.createServer();
    const io = new Server(server, { path: AGENT_SOCKET_PATH, transports: ['websocket'], maxHttpBufferSize: 64 * 1024 * 1024 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RogueController(server, io, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  /** The connected agent's socket, once it connected. */
  connected(timeoutMs = 30_000): Promise<Socket> {
    if (this.agent?.connected) return Promise.resolve(this.agent);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no agent connected to the rogue controller')), timeoutMs);
      this.waiting.push((s) => (clearTimeout(timer), resolve(s)));
    });
  }

  /** The next agent connection (after the agent was restarted). */
  nextConnection(timeoutMs = 30_000): Promise<Socket> {
    this.agent = undefined;
    return this.connected(timeoutMs);
  }

  /** Sends a config.apply and resolves with the agent's ack. */
  async apply(payload: unknown, timeoutMs = 20_000): Promise<unknown> {
    const socket = await this.connected();
    return socket.timeout(timeoutMs).emitWithAck(AgentEvent.configApply, payload);
  }

  async stop(): Promise<void> {
    await this.io.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
