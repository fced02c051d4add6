import fs from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import type { Logger } from 'pino';
import {
  AGENT_NAMESPACE,
  AGENT_RECONNECT_MAX_MS,
  AgentEvent,
  ConfigApplySchema,
  EnrolledSchema,
  FilesReadSchema,
  RefusedSchema,
  describeProblems,
  parsePayload,
  type ApplyAck,
} from '@qfleet/protocol';
import { applyRevision, type ApplyContext } from '../apply';
import type { ServiceBackend } from '../post-steps';
import type { AgentSettings } from '../cli/settings';
import { readCredentials, writeCredentials } from '../state/credentials';
import { collectHostFacts } from '../report/host-facts';
import { readQmailFiles } from '../report/read-files';
import { startQueueReporter } from '../report/queue-reporter';
import { registerRequestHandlers } from '../requests';
import { registerActionHandlers } from '../actions';

export class TokenRefused extends Error {}

/**
 * The agent's one connection to the controller: authenticate (enrol once, then the stored
 * secret), say hello, apply revisions one at a time, report on a timer. socket.io-client
 * reconnects with exponential backoff by itself; this only re-reads the credentials.
 */
export async function runControllerLink(
  settings: AgentSettings,
  deps: { applyContext: ApplyContext; service: ServiceBackend; log: Logger },
): Promise<{ close(): void; done: Promise<void> }> {
  const { log } = deps;
  const creds = await readCredentials(settings.stateDir);
  if (!creds && !settings.token) throw new TokenRefused(`no stored secret in ${settings.stateDir} and no --token to enrol with`);
  let token = creds?.secret ?? settings.token!;
  if (creds) log.info({ hostId: creds.hostId }, 'using the stored host secret');

  const socket: Socket = io(`${settings.controller}${AGENT_NAMESPACE}`, {
    transports: ['websocket'],
    auth: (cb) => cb({ token }),
    reconnectionDelay: 1000,
    reconnectionDelayMax: AGENT_RECONNECT_MAX_MS,
    randomizationFactor: 0.5,
    ca: settings.caFile ? fs.readFileSync(settings.caFile, 'utf8') : undefined,
  });

  let applying: Promise<unknown> = Promise.resolve();
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const sendReport = async (event: typeof AgentEvent.hello | typeof AgentEvent.report) => {
    if (!socket.connected) return;
    socket.emit(event, await collectHostFacts({ qmailHome: settings.qmailHome, stateDir: settings.stateDir, service: deps.service }));
  };

  // Queue and mailbox requests, and the fixed service actions; the destructive ones wait
  // for an apply in progress.
  const requestContext = {
    qmailHome: settings.qmailHome,
    service: deps.service,
    mailbox: settings.mailbox,
    log: (line: string) => log.info(line),
    serialize: <T>(fn: () => Promise<T>) => {
      const run = applying.then(fn);
      applying = run.catch(() => undefined);
      return run;
    },
  };
  registerRequestHandlers(socket, requestContext);
  registerActionHandlers(socket, requestContext);

  const queueReporter = startQueueReporter({
    qmailHome: settings.qmailHome,
    intervalSec: settings.queueIntervalSec,
    send: (stats) => {
      if (socket.connected) socket.emit(AgentEvent.queueStats, stats);
    },
    onError: (e) => log.warn({ err: e.message }, 'cannot read the queue'),
  });

  socket.on('connect', () => {
    log.info({ controller: settings.controller }, 'connected');
    queueReporter.now();
    // Reports wait for an apply in progress, so they never describe a half-applied tree.
    applying = applying.then(() => sendReport(AgentEvent.hello)).catch((e) => log.error({ err: e }, 'hello failed'));
  });

  socket.on('connect_error', (err) => {
    // A refused token is bad configuration; anything else (controller down) is retried.
    if (/unknown or already used agent token|bad handshake/.test(err.message)) {
      rejectDone(new TokenRefused(`the controller refused this agent's token: ${err.message}`));
      socket.close();
      return;
    }
    log.warn({ err: err.message }, 'cannot reach the controller; retrying');
    if (!socket.active) socket.connect();
  });

  socket.on('disconnect', (reason) => {
    log.warn({ reason }, 'disconnected');
    if (reason === 'io server disconnect') socket.connect();
  });

  socket.on(AgentEvent.enrolled, async (payload: unknown) => {
    const parsed = parsePayload(EnrolledSchema, payload);
    if (!parsed.ok) return log.error({ problems: parsed.problems }, 'malformed enrolled event');
    await writeCredentials(settings.stateDir, parsed.value);
    token = parsed.value.secret;
    log.info({ hostId: parsed.value.hostId }, 'enrolled; the host secret is stored');
  });

  socket.on(AgentEvent.refused, (payload: unknown) => {
    const parsed = parsePayload(RefusedSchema, payload);
    log.error({ message: parsed.ok ? parsed.value.message : payload }, 'the controller refused a message');
  });

  socket.on(AgentEvent.configApply, (payload: unknown, ack?: (a: ApplyAck) => void) => {
    const reply = typeof ack === 'function' ? ack : () => undefined;
    const parsed = parsePayload(ConfigApplySchema, payload);
    if (!parsed.ok) {
      const revision = typeof (payload as { revision?: unknown })?.revision === 'number' ? (payload as { revision: number }).revision : 0;
      log.error({ problems: parsed.problems }, 'refusing an invalid config.apply');
      reply({ revision, ok: false, changed: [], skipped: [], error: { step: 'validate', message: describeProblems(parsed.problems) }, ms: 0 });
      return;
    }
    const msg = parsed.value;
    applying = applying
      .then(async () => {
        log.info({ revision: msg.revision, files: msg.files.length, removes: msg.removes.length }, 'applying');
        const result = await applyRevision(deps.applyContext, msg);
        if (!result.ok) log.error({ revision: result.revision, error: result.error }, 'apply failed; every file is as it was');
        reply(result);
        await sendReport(AgentEvent.report);
      })
      .catch((e) => log.error({ err: e }, 'apply crashed'));
  });

  socket.on(AgentEvent.filesRead, (payload: unknown, ack?: (a: unknown) => void) => {
    if (typeof ack !== 'function') return;
    const parsed = parsePayload(FilesReadSchema, payload);
    if (!parsed.ok) return ack({ files: {}, skipped: [{ path: '', reason: describeProblems(parsed.problems) }] });
    // Read between applies, never in the middle of one.
    applying = applying
      .then(async () => ack(await readQmailFiles(settings.qmailHome, parsed.value.paths)))
      .catch((e) => log.error({ err: e }, 'reading files failed'));
  });

  const timer = setInterval(() => {
    applying = applying.then(() => sendReport(AgentEvent.report)).catch((e) => log.error({ err: e }, 'report failed'));
  }, settings.reportIntervalSec * 1000);

  const close = () => {
    clearInterval(timer);
    queueReporter.stop();
    socket.close();
    resolveDone();
  };
  done.catch(() => {
    clearInterval(timer);
    queueReporter.stop();
  });
  return { close, done };
}
