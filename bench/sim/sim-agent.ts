/**
 * One simulated agent: the real agent's wire protocol (apps/agent/src/link/controller-link.ts)
 * with the disk left out. It enrols (acks `enrolled` with `{stored: true}` once the secret is
 * held), says hello on every connect, reports and sends queue stats on a timer (and, as the
 * real agent, a report after an apply only when it says more than the ack), applies
 * `config.apply` by hashing the files in memory and acknowledges with the ApplyAck shape.
 * In self-check mode every payload it sends is first checked against the shared schema, so a
 * protocol change that the simulator missed fails loudly instead of measuring the wrong thing.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import {
  AGENT_NAMESPACE,
  AGENT_SOCKET_PATH,
  AgentEvent,
  ApplyAckSchema,
  ConfigApplySchema,
  EnrolledAckSchema,
  EnrolledSchema,
  FilesReadAnswerSchema,
  FilesReadSchema,
  HelloSchema,
  QueueStatsSchema,
  describeProblems,
  isFatalRefusal,
  parsePayload,
  refusedRetryDelay,
  type ApplyAck,
  type EnrolledAck,
  type Hello,
  type QueueStats,
} from '@qfleet/protocol';
import type { z } from 'zod';
import { reportNeededAfterApply } from '../../apps/agent/src/report/acked-facts';

export interface SimAgentSpec {
  name: string;
  /** the one-time enrol token, or the stored secret of an enrolled host */
  token: string;
  hostId?: string;
}

export interface SimAgentOptions {
  url: string;
  statsIntervalMs: number;
  reportIntervalMs: number;
  selfCheck: boolean;
}

export interface SimAgentEvents {
  connected(first: boolean): void;
  disconnected(reason: string): void;
  /** the transport closed before the controller accepted the handshake (no `connect` came) */
  handshakeLost(reason: string): void;
  /** `refused`: the controller answered and refused (not a transport failure) */
  connectError(fatal: boolean, message: string, refused: boolean): void;
  /** a refusal came with an appointment: back in `ms` */
  appointed(ms: number): void;
  enrolled(name: string, hostId: string, secret: string): void;
  applied(revision: number, receivedAt: number, ackedAt: number, ok: boolean): void;
  selfCheckFailed(what: string, problems: string): void;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class SimAgent {
  private readonly socket: Socket;
  private token: string;
  private appliedRevision = 0;
  /** what this connection last told the controller (a hello, a report, or an ack's effect on it) */
  private told?: Hello;
  /** path → content, as the real agent's qmail tree would hold it */
  private readonly files = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  private everConnected = false;
  /**
   * Whether `connect` was seen and no `disconnect` since. socket.io-client emits `disconnect`
   * whenever its transport closes, also when the handshake never completed (the controller
   * closed a socket still waiting in its middleware, or a restart): counting those as
   * disconnects drove the fleet's `connected` count below zero.
   */
  private up = false;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** handshakes refused in a row, as the real agent counts them for its backoff */
  private refusals = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    readonly spec: SimAgentSpec,
    private readonly opts: SimAgentOptions,
    private readonly on: SimAgentEvents,
  ) {
    this.token = spec.token;
    // The real agent's options: forceNew keeps every simulated agent on a connection of its own.
    this.socket = io(`${opts.url}${AGENT_NAMESPACE}`, {
      path: AGENT_SOCKET_PATH,
      transports: ['websocket'],
      forceNew: true,
      auth: (cb) => cb({ token: this.token }),
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
      autoConnect: false,
    });
    this.wire();
  }

  connect(): void {
    this.socket.connect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const t of this.timers) clearInterval(t);
    this.socket.close();
  }

  private checked<T>(what: string, schema: z.ZodType<T>, payload: T): T {
    if (!this.opts.selfCheck) return payload;
    const parsed = parsePayload(schema, payload);
    if (!parsed.ok) this.on.selfCheckFailed(what, describeProblems(parsed.problems));
    return payload;
  }

  private facts(): Hello {
    return this.checked('hello', HelloSchema, {
      agentVersion: 'qfleet-sim',
      appliedRevision: this.appliedRevision,
      qmail: { installed: true, running: true, since: null },
      files: Object.fromEntries(this.hashes),
    });
  }

  private queueStats(): QueueStats {
    return this.checked('queue.stats', QueueStatsSchema, {
      at: new Date().toISOString(),
      messages: 0,
      unprocessed: 0,
      local: 0,
      remote: 0,
      bytes: 0,
      oldestAgeSec: null,
      domains: [],
    });
  }

  private emit(event: string, payload: unknown): void {
    if (this.socket.connected) this.socket.emit(event, payload);
  }

  /** A hello or report, remembered as what this connection last told (the real agent's rule after an apply). */
  private tell(event: typeof AgentEvent.hello | typeof AgentEvent.report, facts = this.facts()): void {
    if (!this.socket.connected) return;
    this.socket.emit(event, facts);
    this.told = facts;
  }

  private wire(): void {
    const s = this.socket;
    s.on('connect', () => {
      this.refusals = 0;
      this.up = true;
      this.on.connected(!this.everConnected);
      this.everConnected = true;
      this.emit(AgentEvent.queueStats, this.queueStats());
      this.tell(AgentEvent.hello);
    });
    s.on('connect_error', (err) => {
      const fatal = isFatalRefusal(err.message);
      this.on.connectError(fatal, err.message, !s.active);
      if (fatal) return s.close();
      // Refused for now (busy, at its cap): as the real agent, back at the controller's
      // appointment, or without one after exponential backoff with full jitter.
      if (!s.active && !this.closed) {
        clearTimeout(this.retryTimer);
        const retry = refusedRetryDelay((err as { data?: unknown }).data, ++this.refusals);
        if (retry.appointed) this.on.appointed(retry.ms);
        this.retryTimer = setTimeout(() => this.closed || s.connect(), retry.ms);
      }
    });
    s.on('disconnect', (reason) => {
      this.told = undefined;
      if (this.up) {
        this.up = false;
        this.on.disconnected(reason);
      } else this.on.handshakeLost(reason);
      if (reason === 'io server disconnect' && !this.closed) s.connect();
    });
    s.on(AgentEvent.enrolled, (payload: unknown, ack?: (a: EnrolledAck) => void) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = parsePayload(EnrolledSchema, payload);
      if (!parsed.ok) return reply(this.checked('enrolled ack', EnrolledAckSchema, { stored: false, message: describeProblems(parsed.problems) }));
      // "Stored" here means handed to the parent process, which keeps it for the next run.
      this.token = parsed.value.secret;
      this.on.enrolled(this.spec.name, parsed.value.hostId, parsed.value.secret);
      reply(this.checked('enrolled ack', EnrolledAckSchema, { stored: true }));
    });
    s.on(AgentEvent.configApply, (payload: unknown, ack?: (a: ApplyAck) => void) => {
      const receivedAt = Date.now();
      const started = performance.now();
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = parsePayload(ConfigApplySchema, payload);
      if (!parsed.ok) {
        const revision = typeof (payload as { revision?: unknown })?.revision === 'number' ? (payload as { revision: number }).revision : 0;
        reply({ revision, ok: false, changed: [], skipped: [], error: { step: 'validate', message: describeProblems(parsed.problems) }, ms: 0 });
        this.on.applied(revision, receivedAt, Date.now(), false);
        return;
      }
      const msg = parsed.value;
      const changed: string[] = [];
      for (const f of msg.files) {
        const h = sha256(f.content);
        if (this.hashes.get(f.path) !== h) changed.push(f.path);
        this.hashes.set(f.path, h);
        this.files.set(f.path, f.content);
      }
      for (const p of msg.removes) {
        if (this.hashes.delete(p)) changed.push(p);
        this.files.delete(p);
      }
      this.appliedRevision = msg.revision;
      const answer = this.checked('apply ack', ApplyAckSchema, { revision: msg.revision, ok: true, changed, skipped: [], ms: Math.round((performance.now() - started) * 1000) / 1000 });
      reply(answer);
      this.on.applied(msg.revision, receivedAt, Date.now(), true);
      // As the real agent: a report only when it says more than the ack.
      const facts = this.facts();
      if (reportNeededAfterApply(answer, this.told, msg, facts)) this.tell(AgentEvent.report, facts);
      else this.told = facts;
    });
    s.on(AgentEvent.filesRead, (payload: unknown, ack?: (a: unknown) => void) => {
      if (typeof ack !== 'function') return;
      const parsed = parsePayload(FilesReadSchema, payload);
      if (!parsed.ok) return ack({ files: {}, skipped: [{ path: '', reason: describeProblems(parsed.problems) }] });
      const paths = parsed.value.paths ?? [...this.files.keys()];
      const files = Object.fromEntries(paths.filter((p) => this.files.has(p)).map((p) => [p, this.files.get(p)!]));
      ack(this.checked('files.read answer', FilesReadAnswerSchema, { files, skipped: [] }));
    });
    // Timers start at a random point of their period: real agents are not in step.
    const every = (ms: number, fn: () => void) => {
      const first = setTimeout(() => {
        fn();
        this.timers.push(setInterval(fn, ms));
      }, Math.random() * ms);
      this.timers.push(first);
    };
    every(this.opts.statsIntervalMs, () => this.emit(AgentEvent.queueStats, this.queueStats()));
    every(this.opts.reportIntervalMs, () => this.tell(AgentEvent.report));
  }
}
