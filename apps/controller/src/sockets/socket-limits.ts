import type { Server } from 'socket.io';
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
