import fs from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import type { Logger } from 'pino';
import {
  AGENT_NAMESPACE,
  AGENT_SOCKET_PATH,
  AGENT_RECONNECT_MAX_MS,
  AgentEvent,
  ConfigApplySchema,
  EnrolledSchema,
  FilesReadSchema,
  MailboxStatsEvent,
  isFatalRefusal,
  RefusedSchema,
  describeProblems,
  oversizePayload,
  parsePayload,
  refusedRetryDelay,
  type ApplyAck,
  type ConfigApply,
  type EnrolledAck,
  type FilesReadAnswer,
  type Hello,
} from '@qfleet/protocol';
import { applyRevision, type ApplyContext } from '../apply';
import type { ServiceBackend } from '../post-steps';
import type { AgentSettings } from '../cli/settings';
import { readCredentials, writeCredentials } from '../state/credentials';
import { collectHostFacts } from '../report/host-facts';
import { reportNeededAfterApply } from '../report/acked-facts';
import { readQmailFiles } from '../report/read-files';
import { startQueueReporter } from '../report/queue-reporter';
import { mailboxLocations, registerMailboxScanRequest, startMailboxReporter } from '../mailbox-stats';
import { errorOf, registerRequestHandlers, type Answer } from '../requests';
import { registerActionHandlers } from '../actions';

export class TokenRefused extends Error {}

/** How long to wait before enrolling again after the secret could not be stored (disk full…). */
const STORE_RETRY_MS = 5_000;

/**
 * The agent's one connection to the controller: authenticate (enrol once, then the stored
 * secret), say hello, apply revisions one at a time, report on a timer. socket.io-client
 * reconnects by itself after a lost connection; a handshake the controller refused (busy, at
 * its cap) is retried here: at the appointment the controller gave, or without one after an
 * exponential backoff with full jitter, so a refused fleet does not come back in lockstep.
 */
export async function runControllerLink(
  settings: AgentSettings,
  deps: { applyContext: ApplyContext; service: ServiceBackend; log: Logger },
): Promise<{ close(): void; done: Promise<void> }> {
  const { log } = deps;
  const creds = await readCredentials(settings.stateDir);
  if (!creds && !settings.token) throw new TokenRefused(`no stored secret in ${settings.stateDir} and no --token to enrol with`);
  let token = creds?.secret ?? settings.token!;
  let haveSecret = !!creds;
  let secretRefusal: string | undefined;
  let storeFailed = false;
  let closed = false;
  /** handshakes refused in a row; the backoff grows with them */
  let refusals = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  if (creds) log.info({ hostId: creds.hostId }, 'using the stored host secret');

  const socket: Socket = io(`${settings.controller}${AGENT_NAMESPACE}`, {
    path: AGENT_SOCKET_PATH,
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

  // What this connection last told the controller (a hello, a report, or an ack's effect on it).
  let told: Hello | undefined;
  const sendReport = async (event: typeof AgentEvent.hello | typeof AgentEvent.report, after?: { ack: ApplyAck; apply: ConfigApply }) => {
    if (!socket.connected) return;
    const facts = await collectHostFacts({ qmailHome: settings.qmailHome, stateDir: settings.stateDir, service: deps.service });
    if (after && !reportNeededAfterApply(after.ack, told, after.apply, facts)) {
      told = facts;
      return;
    }
    // The controller drops a payload over its limit; say so here rather than lose it silently.
    const oversize = oversizePayload(event, [event, facts]);
    if (oversize) return log.error({ files: Object.keys(facts.files).length }, `${oversize}; not sent`);
    socket.emit(event, facts);
    told = facts;
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

  const mailboxReporter = startMailboxReporter({
    intervalSec: settings.mailboxIntervalSec,
    locations: () => mailboxLocations(settings),
    send: (stats) => {
      if (socket.connected) socket.emit(MailboxStatsEvent, stats);
    },
    onError: (e) => log.warn({ err: e.message }, 'cannot read the mailboxes'),
  });
  registerMailboxScanRequest(socket, mailboxReporter.scan, (line) => log.warn(line));

  socket.on('connect', () => {
    refusals = 0;
    log.info({ controller: settings.controller }, 'connected');
    queueReporter.now();
    mailboxReporter.now();
    // Reports wait for an apply in progress, so they never describe a half-applied tree.
    applying = applying.then(() => sendReport(AgentEvent.hello)).catch((e) => log.error({ err: e }, 'hello failed'));
  });

  socket.on('connect_error', (err) => {
    // A refused or revoked token is bad configuration; anything else (controller down) is retried.
    if (isFatalRefusal(err.message)) {
      // A revoked or replaced host comes back with the new enrol token an admin issued.
      if (settings.token && token !== settings.token) {
        log.warn({ reason: err.message }, 'the stored host secret was refused; enrolling with --token');
        secretRefusal = err.message;
        token = settings.token;
        socket.connect();
        return;
      }
      const why = secretRefusal ? `${secretRefusal}; and --token: ${err.message}` : err.message;
      rejectDone(new TokenRefused(`the controller refused this agent's token: ${why}`));
      socket.close();
      return;
    }
    // The transport's own reason (say, an untrusted TLS certificate) is in `description`.
    const cause = (err as { description?: { message?: string; error?: { message?: string } } }).description;
    const why = cause?.error?.message ?? cause?.message;
    // Still active: the transport failed and socket.io-client retries with its own backoff.
    if (socket.active) {
      log.warn({ err: err.message, ...(why ? { cause: why } : {}) }, why && /certificate|self.signed|CA/i.test(why) ? "the controller's TLS certificate is not trusted (give its CA with --ca); retrying" : 'cannot reach the controller; retrying');
      return;
    }
    // The controller answered and refused (busy, at its cap, cannot authenticate now): try
    // again at the appointment it gave (capped), or without one at a random point of a window
    // that doubles with each refusal.
    const retry = refusedRetryDelay((err as { data?: unknown }).data, ++refusals);
    log.warn({ err: err.message, retryInMs: retry.ms, appointed: retry.appointed }, retry.appointed ? "the controller refused the connection for now; retrying at its appointment" : 'the controller refused the connection for now; retrying');
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => closed || socket.connect(), retry.ms);
  });

  socket.on('disconnect', (reason) => {
    log.warn({ reason }, 'disconnected');
    // The next connection starts with a hello, which tells everything again.
    told = undefined;
    // After a failed store the controller drops this socket: retry later, not in a tight loop.
    if (reason === 'io server disconnect') {
      const delay = storeFailed ? STORE_RETRY_MS : 0;
      storeFailed = false;
      setTimeout(() => closed || socket.connect(), delay);
    }
  });

  // At enrolment and at rotation: the controller commits the secret only on `stored: true`,
  // so until it is on disk the old token keeps working and a failure here locks nothing out.
  socket.on(AgentEvent.enrolled, async (payload: unknown, ack?: (a: EnrolledAck) => void) => {
    const reply = typeof ack === 'function' ? ack : () => undefined;
    const parsed = parsePayload(EnrolledSchema, payload);
    if (!parsed.ok) {
      log.error({ problems: parsed.problems }, 'malformed enrolled event');
      return reply({ stored: false, message: `malformed enrolled event: ${describeProblems(parsed.problems)}` });
    }
    try {
      await writeCredentials(settings.stateDir, parsed.value);
    } catch (e) {
      log.error({ err: (e as Error).message, stateDir: settings.stateDir }, 'cannot store the host secret; the controller keeps the old one');
      storeFailed = true;
      return reply({ stored: false, message: (e as Error).message });
    }
    token = parsed.value.secret;
    log.info({ hostId: parsed.value.hostId }, haveSecret ? 'a new host secret is stored' : 'enrolled; the host secret is stored');
    haveSecret = true;
    reply({ stored: true });
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
        await sendReport(AgentEvent.report, { ack: result, apply: msg });
      })
      .catch((e) => log.error({ err: e }, 'apply crashed'));
  });

  // Answered like every other request ({ok, result} or {ok: false, error}), so the controller
  // reads it with the same code on whichever replica asked.
  socket.on(AgentEvent.filesRead, (payload: unknown, ack?: (a: Answer<FilesReadAnswer>) => void) => {
    if (typeof ack !== 'function') return;
    const parsed = parsePayload(FilesReadSchema, payload ?? {});
    if (!parsed.ok) return ack({ ok: false, error: { code: 'invalid', message: describeProblems(parsed.problems) } });
    // Read between applies, never in the middle of one.
    applying = applying
      .then(async () => {
        const result = await readQmailFiles(settings.qmailHome, parsed.value.paths);
        const oversize = oversizePayload('files.read answer', [{ ok: true, result }]);
        ack(oversize ? { ok: false, error: { code: 'failed', message: oversize } } : { ok: true, result });
      })
      .catch((e: Error) => {
        log.error({ err: e }, 'reading files failed');
        ack({ ok: false, error: errorOf(e) });
      });
  });

  const timer = setInterval(() => {
    applying = applying.then(() => sendReport(AgentEvent.report)).catch((e) => log.error({ err: e }, 'report failed'));
  }, settings.reportIntervalSec * 1000);

  const close = () => {
    closed = true;
    clearTimeout(retryTimer);
    clearInterval(timer);
    queueReporter.stop();
    mailboxReporter.stop();
    socket.close();
    resolveDone();
  };
  done.catch(() => {
    clearInterval(timer);
    queueReporter.stop();
    mailboxReporter.stop();
  });
  return { close, done };
}
