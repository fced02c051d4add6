/**
 * The floor: a bare socket.io server with no application logic, on the same engine path,
 * namespace and transport options as the controller's agents gateway. It accepts any token,
 * counts what agents send, and on request broadcasts a ~2 KB config.apply-like payload to every
 * agent with acknowledgements back, timing until the last ack. Runs in a process of its own
 * (forked by floor.ts) so its CPU and memory can be measured like the controller's.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { AGENT_NAMESPACE, AGENT_SOCKET_PATH, AgentEvent, MAX_SOCKET_FRAME_BYTES, type ConfigApply } from '@qfleet/protocol';
import type { FloorReply, FloorRequest } from './messages';

const httpServer = http.createServer();
const io = new Server(httpServer, { path: AGENT_SOCKET_PATH, transports: ['websocket'], maxHttpBufferSize: MAX_SOCKET_FRAME_BYTES, serveClient: false });
const nsp = io.of(AGENT_NAMESPACE);
const received = { hello: 0, report: 0, queueStats: 0 };
let revision = 0;

nsp.use((socket, next) => (typeof socket.handshake.auth?.['token'] === 'string' ? next() : next(new Error('bad handshake'))));
nsp.on('connection', (socket) => {
  socket.on(AgentEvent.hello, () => received.hello++);
  socket.on(AgentEvent.report, () => received.report++);
  socket.on(AgentEvent.queueStats, () => received.queueStats++);
});

/** A revision the size of one domain + one alias on a small host: about 2 KB. */
function payload(): ConfigApply {
  revision++;
  const pad = 'x'.repeat(1650);
  return {
    revision,
    files: [
      { path: 'control/locals', content: `localhost\nnew${revision}.example\n`, mode: 0o644 },
      { path: 'control/rcpthosts', content: `new${revision}.example\n`, mode: 0o644 },
      { path: 'alias/.qmail-sales', content: `&team@corp.example\n# ${pad}\n`, mode: 0o644 },
      { path: 'control/virtualdomains', content: `new${revision}.example:alias-new\n`, mode: 0o644 },
    ],
    removes: [],
    postSteps: ['hup'],
  };
}

const reply = (m: FloorReply) => process.send?.(m);

process.on('message', async (m: FloorRequest) => {
  if (m.type === 'broadcast') {
    const p = payload();
    const bytes = JSON.stringify(p).length;
    const t = performance.now();
    try {
      const acks = (await nsp.timeout(m.timeoutMs).emitWithAck(AgentEvent.configApply, p)) as unknown[];
      reply({ type: 'broadcast', ms: performance.now() - t, acks: acks.length, bytes });
    } catch (e) {
      reply({ type: 'broadcast', ms: performance.now() - t, acks: -1, bytes, error: (e as Error).message });
    }
  } else if (m.type === 'status') {
    reply({ type: 'status', sockets: nsp.sockets.size, received: { ...received } });
  }
});

httpServer.listen(0, '127.0.0.1', () => {
  const addr = httpServer.address();
  reply({ type: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('disconnect', () => process.exit(0));
