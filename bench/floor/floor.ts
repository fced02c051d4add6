/** Starts the floor server (server.ts) in a process of its own and talks to it. */
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { forkTs } from '../sim/fork-ts';
import type { FloorReply, FloorRequest } from './messages';

export class Floor {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<Floor> {
    const child = forkTs(path.join(__dirname, 'server.ts'), 'floor');
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the floor server exited (${code}) before listening`)));
      child.on('message', (m: FloorReply) => m.type === 'listening' && resolve(m.port));
    });
    return new Floor(child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private ask<T extends FloorReply['type']>(req: FloorRequest, type: T): Promise<Extract<FloorReply, { type: T }>> {
    return new Promise((resolve) => {
      const on = (m: FloorReply) => {
        if (m.type !== type) return;
        this.child.off('message', on);
        resolve(m as Extract<FloorReply, { type: T }>);
      };
      this.child.on('message', on);
      this.child.send(req);
    });
  }

  /** One ~2 KB config.apply-like payload to every connected agent; ms until the last ack. */
  broadcast(timeoutMs = 60_000) {
    return this.ask({ type: 'broadcast', timeoutMs }, 'broadcast');
  }

  status() {
    return this.ask({ type: 'status' }, 'status');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill();
    await exited;
  }
}
