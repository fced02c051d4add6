import { z } from 'zod';
import { relativePath, sha256Hex } from './values';

/** socket.io namespace and event names between controller and agent (DESIGN.md "Agent protocol"). */
export const AGENT_NAMESPACE = '/agents';

/**
 * The agents' socket.io server has an engine path of its own: the engine reads a whole frame
 * before any namespace checks a token, so the agents' large frame limit must not apply to the
 * dashboard's `/ui` (default path `/socket.io`, small limit).
 */
export const AGENT_SOCKET_PATH = '/agents.io';

export const AgentEvent = {
  /**
   * controller → agent, with an ack: a per-host secret to store, at enrolment and at rotation.
   * The controller commits it only once the agent acks `{stored: true}`; until then the enrol
   * token (or the old secret) keeps working, so a lost message never locks a host out.
   */
  enrolled: 'enrolled',
  /** agent → controller, on every connect */
  hello: 'hello',
  /** agent → controller, on a timer: the same facts as hello */
  report: 'report',
  /** controller → agent, with an ack callback */
  configApply: 'config.apply',
  /** controller → agent, before it disconnects a socket for a bad payload */
  refused: 'refused',
  /** controller → agent, with an ack: the current qmail files, for import and drift adoption */
  filesRead: 'files.read',
  /** agent → controller, on connect and every --queue-interval seconds */
  queueStats: 'queue.stats',
} as const;

/**
 * The longest an agent waits between two attempts to reconnect (its backoff's ceiling). A
 * controller that has just started gives agents it knew this long to come back before it calls
 * them offline.
 */
export const AGENT_RECONNECT_MAX_MS = 30_000;

/**
 * The largest agent payload the controller accepts. Up to twice this (the engine's hard
 * limit, MAX_SOCKET_FRAME_BYTES) the controller answers `refused` and disconnects; above it the
 * engine closes the connection without reading further (WebSocket close 1009). The agent checks
 * its own payloads against this before it sends them.
 */
export const MAX_SOCKET_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const MAX_SOCKET_FRAME_BYTES = 2 * MAX_SOCKET_PAYLOAD_BYTES;

export const POST_STEPS = ['qmail-newu', 'qmail-newmrh', 'hup', 'restart'] as const;
export const PostStepSchema = z.enum(POST_STEPS);
export type PostStep = z.infer<typeof PostStepSchema>;

export const AgentAuthSchema = z.strictObject({ token: z.string().min(16).max(200) });

export const EnrolledSchema = z.strictObject({ hostId: z.string().min(1), secret: z.string().min(16) });
export type Enrolled = z.infer<typeof EnrolledSchema>;

/** The agent's ack of `enrolled`: stored (written to its state dir and synced) or why not. */
export const EnrolledAckSchema = z.union([
  z.strictObject({ stored: z.literal(true) }),
  z.strictObject({ stored: z.literal(false), message: z.string().max(2000) }),
]);
export type EnrolledAck = z.infer<typeof EnrolledAckSchema>;

/**
 * Handshake refusals the agent cannot fix by retrying: it exits (3) with the message. The
 * controller's handshake errors start with one of these, so both ends agree on one list.
 */
export const AgentRefusal = {
  unknownToken: 'unknown or already used agent token',
  revoked: "this host's agent credentials were revoked",
  badHandshake: 'bad handshake',
} as const;

export function isFatalRefusal(message: string): boolean {
  return Object.values(AgentRefusal).some((r) => message.startsWith(r));
}

export const QmailStateSchema = z.strictObject({
  installed: z.boolean(),
  running: z.boolean().nullable(),
  since: z.string().nullable().optional(),
});
export type QmailState = z.infer<typeof QmailStateSchema>;

export const HelloSchema = z.strictObject({
  agentVersion: z.string().max(100),
  appliedRevision: z.number().int().min(0),
  qmail: QmailStateSchema,
  /** sha256 of every managed file on disk; a managed file that is absent is left out */
  files: z.record(relativePath, sha256Hex),
});
export type Hello = z.infer<typeof HelloSchema>;

export const FileEntrySchema = z.strictObject({
  path: relativePath,
  content: z.string(),
  mode: z.number().int().min(0).max(0o777),
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

export const ConfigApplySchema = z.strictObject({
  revision: z.number().int().min(1),
  /** the whole managed set, not a delta: the agent writes what differs from disk */
  files: z.array(FileEntrySchema),
  removes: z.array(relativePath),
  postSteps: z.array(PostStepSchema),
});
export type ConfigApply = z.infer<typeof ConfigApplySchema>;

export const ApplyErrorSchema = z.strictObject({
  file: z.string().optional(),
  step: z.string(),
  message: z.string(),
});

export const ApplyAckSchema = z.strictObject({
  revision: z.number().int().min(0),
  ok: z.boolean(),
  changed: z.array(z.string()),
  skipped: z.array(z.string()),
  error: ApplyErrorSchema.optional(),
  ms: z.number().min(0),
});
export type ApplyAck = z.infer<typeof ApplyAckSchema>;

export const RefusedSchema = z.strictObject({ message: z.string() });

/** Which files to read: every file qfleet can model (control/, users/assign, alias/), or the paths given. */
export const FilesReadSchema = z.strictObject({
  paths: z.array(relativePath).max(10_000).optional(),
});
export type FilesRead = z.infer<typeof FilesReadSchema>;

export const FilesReadAnswerSchema = z.strictObject({
  files: z.record(relativePath, z.string()),
  /** files that exist but were not read: not text, too large, a link out of the home… */
  skipped: z.array(z.strictObject({ path: z.string(), reason: z.string() })),
});
export type FilesReadAnswer = z.infer<typeof FilesReadAnswerSchema>;

/** What qmail-qstat and a qmail-qread walk say about the queue, summed up (QMAIL.md §4). */
export const QueueStatsSchema = z.strictObject({
  at: z.string().datetime(),
  messages: z.number().int().min(0),
  unprocessed: z.number().int().min(0),
  local: z.number().int().min(0),
  remote: z.number().int().min(0),
  bytes: z.number().min(0),
  oldestAgeSec: z.number().min(0).nullable(),
  /** the destination domains with the most waiting messages */
  domains: z
    .array(
      z.strictObject({
        domain: z.string().max(255),
        messages: z.number().int().min(0),
        recipients: z.number().int().min(0),
        nextRetryAt: z.string().datetime().nullable(),
        oldestQueuedAt: z.string().datetime().nullable(),
      }),
    )
    .max(100),
});
export type QueueStats = z.infer<typeof QueueStatsSchema>;

/**
 * The size of an event or acknowledgement as it travels: socket.io sends `[event, payload]`
 * (or `[payload]` for an acknowledgement) as JSON, plus a few header bytes.
 */
export function socketPayloadBytes(args: unknown[]): number {
  return new TextEncoder().encode(JSON.stringify(args)).length + 16;
}

/** Why a payload may not be sent, or null when it fits under MAX_SOCKET_PAYLOAD_BYTES. */
export function oversizePayload(what: string, args: unknown[]): string | null {
  const bytes = socketPayloadBytes(args);
  return bytes > MAX_SOCKET_PAYLOAD_BYTES ? `${what} of ${bytes} bytes is over the ${MAX_SOCKET_PAYLOAD_BYTES}-byte socket limit` : null;
}
