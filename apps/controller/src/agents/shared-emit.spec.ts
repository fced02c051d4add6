import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { SharedEmitter } from './shared-emit';

describe('SharedEmitter', () => {
  let server: Server;
  let clients: ClientSocket[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const http = createServer();
    server = new Server(http);
    server.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;
    // Each client answers with its own name and what it was sent, late or never when told to.
    clients = ['a', 'b', 'c'].map((name) => {
      const c = connect(`http://127.0.0.1:${port}`, {
        transports: ['websocket'],
        forceNew: true,
      });
      c.on(
        'apply',
        (
          payload: { revision: number; silent?: string },
          ack: (v: unknown) => void,
        ) => {
          if (payload.silent === name) return;
          ack({ name, revision: payload.revision });
        },
      );
      return c;
    });
    await new Promise<void>((r) => {
      const check = () => (sockets.length === 3 ? r() : setTimeout(check, 10));
      check();
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  it('encodes a payload once for every socket and gives each socket its own answer', async () => {
    const emitter = new SharedEmitter();
    const key = {};
    let built = 0;
    const payload = () => {
      built++;
      return { revision: 7 };
    };
    const answers = await Promise.all(
      sockets.map((s) =>
        emitter.emitWithAck(s, key, 7, 'apply', payload, 5_000),
      ),
    );
    expect(built).toBe(1);
    expect(answers.map((a) => (a as { name: string }).name).sort()).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(
      answers.every((a) => (a as { revision: number }).revision === 7),
    ).toBe(true);
    // Another revision of the same content is another packet; the same one again to a socket, a fresh one (its own ack id).
    await Promise.all(
      sockets.map((s) =>
        emitter.emitWithAck(s, key, 8, 'apply', () => ({ revision: 8 }), 5_000),
      ),
    );
    const again = await emitter.emitWithAck(
      sockets[0],
      key,
      7,
      'apply',
      payload,
      5_000,
    );
    expect(built).toBe(2);
    expect((again as { revision: number }).revision).toBe(7);
  });

  it('times out a socket that does not answer, without holding the others', async () => {
    const emitter = new SharedEmitter();
    const results = await Promise.allSettled(
      sockets.map((s) =>
        emitter.emitWithAck(
          s,
          {},
          1,
          'apply',
          () => ({ revision: 1, silent: 'b' }),
          300,
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const failed = results.find(
      (r) => r.status === 'rejected',
    ) as PromiseRejectedResult;
    expect(String(failed.reason)).toMatch(/timed out/);
  });
});
