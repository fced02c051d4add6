import type { Socket } from 'socket.io';

/**
 * What of socket.io 4.8 this reaches past its typed API for: the same three things its
 * in-memory adapter's broadcastWithAck uses to send one encoded packet to many sockets, each
 * with its own acknowledgement (the adapter's own ack gives no way to tell whose answer came).
 */
interface SocketInternals {
  acks: Map<number, (...args: unknown[]) => void>;
  client: { writeToEngine(encoded: unknown[], opts: object): void };
  nsp: {
    _ids: number;
    name: string;
    adapter: { _encode?(packet: object, opts: object): unknown[] };
  };
}

interface Encoded {
  id: number;
  packets: unknown[];
  /** carries the WebSocket frame the adapter built once (wsPreEncodedFrame) */
  opts: object;
  /** sockets that were given this packet: one given it again gets a packet (and ack id) of its own */
  sentTo: WeakSet<Socket>;
}

const EVENT = 2; // socket.io-parser PacketType.EVENT

/**
 * Emits an event with an acknowledgement, encoded once per distinct payload: a rollout or a
 * group change sends the same revision to thousands of agents, and socket.io encodes each
 * emit anew (JSON, the Engine.IO and WebSocket frames), a copy per socket to build and collect.
 * The payload is named by the caller: `key` an object that fixes its content (a shared
 * rendering) and `variant` what else goes into it (the revision number). A packet's ack id
 * comes from the namespace's counter, so it is unique on every socket it is written to.
 */
export class SharedEmitter {
  private readonly encoded = new WeakMap<object, Map<number, Encoded>>();

  emitWithAck(
    socket: Socket,
    key: object,
    variant: number,
    event: string,
    payload: () => unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const inner = socket as unknown as SocketInternals;
    const encode = inner.nsp?.adapter?._encode;
    if (
      typeof encode !== 'function' ||
      !(inner.acks instanceof Map) ||
      typeof inner.client?.writeToEngine !== 'function'
    ) {
      return new Promise((resolve, reject) =>
        socket
          .timeout(timeoutMs)
          .emit(event, payload(), (err: Error | null, ack: unknown) =>
            err ? reject(err) : resolve(ack),
          ),
      );
    }
    let byVariant = this.encoded.get(key);
    if (!byVariant) this.encoded.set(key, (byVariant = new Map()));
    let packet = byVariant.get(variant);
    if (!packet || packet.sentTo.has(socket)) {
      const opts = { preEncoded: true };
      const id = inner.nsp._ids++;
      packet = {
        id,
        packets: encode.call(
          inner.nsp.adapter,
          { type: EVENT, nsp: inner.nsp.name, id, data: [event, payload()] },
          opts,
        ),
        opts,
        sentTo: new WeakSet(),
      };
      byVariant.set(variant, packet);
    }
    packet.sentTo.add(socket);
    const { id, packets, opts } = packet;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        inner.acks.delete(id);
        reject(new Error('operation has timed out'));
      }, timeoutMs);
      inner.acks.set(id, (...args: unknown[]) => {
        clearTimeout(timer);
        resolve(args[0]);
      });
      inner.client.writeToEngine(packets, opts);
    });
  }
}
