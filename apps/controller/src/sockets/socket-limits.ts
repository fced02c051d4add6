import type { Server, Socket } from 'socket.io';
import { AGENT_NAMESPACE, UI_NAMESPACE } from '@qfleet/protocol';

/**
 * The largest frame a client of the default engine path (`/ui`, and anyone before a namespace
 * has checked a token) may send: the engine reads a whole frame before any middleware runs, so
 * this bounds what an anonymous client makes the controller hold. A `/ui` client only sends
 * its handshake.
 */
export const UI_MAX_FRAME_BYTES = 64 * 1024;

/**
 * Every socket.io server has a root namespace `/`, open to anyone by default; nothing of
 * qfleet lives there, so it refuses every socket. (Namespaces that no gateway declares are
 * refused by socket.io itself: "Invalid namespace".)
 */
export function refuseRootNamespace(server: Server): void {
  server.of('/').use((_socket, next) => next(new Error(`no such namespace: the dashboard uses ${UI_NAMESPACE}, agents ${AGENT_NAMESPACE}`)));
}

/** ws's frame reader; its limit (`_maxPayload`) is read per frame, so it can change while a connection lives. */
type FrameReader = { _maxPayload?: number };
type WsLike = { _receiver?: FrameReader | null };
type UpgradeCallback = (ws: WsLike, req: unknown) => void;
type WsServerClass = new (...args: never[]) => { handleUpgrade(req: unknown, socket: unknown, head: unknown, cb: UpgradeCallback): void };

function setFrameLimit(ws: WsLike | undefined, bytes: number): boolean {
  const reader = ws?._receiver;
  if (!reader || typeof reader._maxPayload !== 'number') return false;
  reader._maxPayload = bytes;
  return true;
}

/**
 * Frames on a server whose limit must be large for authenticated clients (the agents' path)
 * stay at `preAuthBytes` until `allowLargeFrames` is called for the socket: an anonymous
 * client cannot make the controller buffer 32 MB. engine.io takes its WebSocket server class
 * as an option (`wsEngine`, made anew each time the HTTP server starts listening); ours
 * lowers each new connection's limit. ws offers no public way to change a connection's limit,
 * so this reaches its frame reader; if that ever changes, the first connection says so in the
 * log (and the e2e test "reads no large frame before an agent has authenticated" fails).
 */
export function limitFramesBeforeAuth(server: Server, preAuthBytes: number, warn: (line: string) => void): void {
  const opts = (server.engine as unknown as { opts: { wsEngine?: WsServerClass } }).opts;
  const Base = opts.wsEngine;
  if (typeof Base !== 'function') {
    warn('cannot limit frames before authentication: engine.io names no WebSocket server class');
    return;
  }
  opts.wsEngine = class SmallFramesUntilAuthenticated extends Base {
    override handleUpgrade(req: unknown, socket: unknown, head: unknown, cb: UpgradeCallback): void {
      super.handleUpgrade(req, socket, head, (ws, r) => {
        if (!setFrameLimit(ws, preAuthBytes)) warn('cannot limit frames before authentication: ws has no frame reader limit');
        cb(ws, r);
      });
    }
  };
}

/** The socket has authenticated: its frames may now be up to `bytes`. */
export function allowLargeFrames(socket: Socket, bytes: number): void {
  setFrameLimit((socket.conn as unknown as { transport?: { socket?: WsLike } }).transport?.socket, bytes);
}
