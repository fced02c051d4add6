import { z } from 'zod';
import { MAX_ADDRESS_LENGTH, MAX_DOMAIN_LENGTH, MAX_SEARCH_TEXT_LENGTH } from './limits';

/**
 * Requests the controller makes of one agent, answered through socket.io acknowledgements
 * with a timeout (DESIGN.md "Interfaces": queue and mailboxes). Every answer is
 * `{ok: true, result}` or `{ok: false, error: {code, message}}`. Large bodies and attachments
 * travel in chunks (`*.chunk`), never as one huge message.
 */
export const AgentRequest = {
  queueList: 'queue.list',
  queueRead: 'queue.read',
  queueChunk: 'queue.chunk',
  queueDelete: 'queue.delete',
  queueFlush: 'queue.flush',
  queueFind: 'queue.find',
  mailboxUsers: 'mailbox.users',
  mailboxList: 'mailbox.list',
  mailboxRead: 'mailbox.read',
  mailboxChunk: 'mailbox.chunk',
  mailboxDelete: 'mailbox.delete',
} as const;

export const CHUNK_MAX_BYTES = 256 * 1024;
/** Parsed text and HTML bodies are cut at this size in `*.read`; the rest is read in chunks. */
export const BODY_PREVIEW_BYTES = 256 * 1024;

export const RequestErrorSchema = z.strictObject({
  /** not_found | invalid | unavailable | failed */
  code: z.string(),
  message: z.string(),
});
export type RequestError = z.infer<typeof RequestErrorSchema>;

export function answerSchema<T extends z.ZodType>(result: T) {
  return z.discriminatedUnion('ok', [z.strictObject({ ok: z.literal(true), result }), z.strictObject({ ok: z.literal(false), error: RequestErrorSchema })]);
}

const messageId = z.number().int().min(1);

// ---- queue -------------------------------------------------------------------------------

export const QueueRecipientSchema = z.strictObject({ kind: z.enum(['local', 'remote']), address: z.string(), done: z.boolean() });

export const QueueMessageSummarySchema = z.strictObject({
  id: messageId,
  queuedAt: z.string(),
  size: z.number().int().min(0),
  sender: z.string(),
  recipients: z.array(QueueRecipientSchema),
  bouncing: z.boolean(),
  nextRetryAt: z.strictObject({ local: z.string().optional(), remote: z.string().optional() }),
});
export type QueueMessageSummary = z.infer<typeof QueueMessageSummarySchema>;

export const QUEUE_SORTS = ['date', 'sender', 'recipient', 'size'] as const;

export const QueueListRequestSchema = z.strictObject({
  page: z.number().int().min(1).default(1),
  perPage: z.number().int().min(1).max(200).default(20),
  sort: z.enum(QUEUE_SORTS).default('date'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type QueueListRequest = z.infer<typeof QueueListRequestSchema>;

export const QueueListResultSchema = z.strictObject({
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  perPage: z.number().int().min(1),
  messages: z.array(QueueMessageSummarySchema),
});
export type QueueListResult = z.infer<typeof QueueListResultSchema>;

export const AttachmentInfoSchema = z.strictObject({
  index: z.number().int().min(0),
  filename: z.string().nullable(),
  contentType: z.string(),
  size: z.number().int().min(0),
});

/** A message parsed with mailparser; bodies cut at BODY_PREVIEW_BYTES (`truncated`). */
export const ParsedMessageSchema = z.strictObject({
  headers: z.array(z.tuple([z.string(), z.string()])),
  from: z.string().nullable(),
  to: z.string().nullable(),
  cc: z.string().nullable(),
  subject: z.string().nullable(),
  date: z.string().nullable(),
  text: z.string().nullable(),
  html: z.string().nullable(),
  attachments: z.array(AttachmentInfoSchema),
  size: z.number().int().min(0),
  truncated: z.boolean(),
});
export type ParsedMessageView = z.infer<typeof ParsedMessageSchema>;

export const QueueReadRequestSchema = z.strictObject({ id: messageId });
export const QueueReadResultSchema = z.strictObject({ message: QueueMessageSummarySchema, parsed: ParsedMessageSchema });
export type QueueReadResult = z.infer<typeof QueueReadResultSchema>;

/** `part`: 'raw' for the whole message file, or an attachment's index. */
export const ChunkPartSchema = z.union([z.literal('raw'), z.number().int().min(0)]);
export const QueueChunkRequestSchema = z.strictObject({
  id: messageId,
  part: ChunkPartSchema,
  offset: z.number().int().min(0),
  length: z.number().int().min(1).max(CHUNK_MAX_BYTES),
});
export const ChunkResultSchema = z.strictObject({
  /** base64 */
  data: z.string(),
  offset: z.number().int().min(0),
  total: z.number().int().min(0),
  eof: z.boolean(),
  contentType: z.string(),
  filename: z.string().nullable(),
});
export type ChunkResult = z.infer<typeof ChunkResultSchema>;

/** The most ids one delete may name (queue or mailbox), on the API and on the agent alike. */
export const DELETE_IDS_MAX = 10_000;
export const QueueDeleteRequestSchema = z.strictObject({ ids: z.array(messageId).min(1).max(DELETE_IDS_MAX) });
export const QueueDeleteResultSchema = z.strictObject({
  deleted: z.array(messageId),
  missing: z.array(messageId),
  /** files removed: mess, info, local, remote, bounce, todo, intd */
  files: z.number().int().min(0),
  /** what happened to qmail-send around the delete, in order, e.g. ['stop', 'down', 'start', 'up'] */
  qmailSend: z.array(z.string()),
});
export type QueueDeleteResult = z.infer<typeof QueueDeleteResultSchema>;

export const QueueFlushResultSchema = z.strictObject({ ran: z.array(z.string()), skipped: z.array(z.string()) });

export const QueueFindRequestSchema = z
  .strictObject({
    // Literal, case-insensitive substrings (the agent's queue find), never patterns: linear per message.
    sender: z.string().min(1).max(MAX_ADDRESS_LENGTH).optional(),
    recipientDomain: z.string().min(1).max(MAX_DOMAIN_LENGTH).optional(),
    subject: z.string().min(1).max(MAX_SEARCH_TEXT_LENGTH).optional(),
  })
  .refine((q) => q.sender || q.recipientDomain || q.subject, 'give a sender, a recipientDomain or a subject');
export type QueueFindRequest = z.infer<typeof QueueFindRequestSchema>;
export const QueueFindResultSchema = z.strictObject({ ids: z.array(messageId), count: z.number().int().min(0) });
export type QueueFindResult = z.infer<typeof QueueFindResultSchema>;

// ---- mailboxes -----------------------------------------------------------------------------

/**
 * A mailbox's id in requests: the user for the mailbox in a home (`joe`), `<user>+<ext>` for a
 * mailbox line of `~user/.qmail-<ext>` (`alias+sales`), `+<n>` added for its n-th (n ≥ 2).
 */
const mailboxId = z.string().regex(/^[A-Za-z0-9._:+-]{1,300}$/, 'must be a mailbox id (a user, or user+ext)');

export const MAILBOX_FORMATS = ['maildir', 'mbox'] as const;
export type MailboxFormat = (typeof MAILBOX_FORMATS)[number];

/**
 * Where one mailbox is, as the agent finds it (apps/agent/src/mailboxes/discover.ts):
 * - `home`: the Maildir or mbox in a passwd user's home (qmail-getpw's users, QMAIL.md §2);
 * - `assign`: the same in a users/assign entry's home;
 * - `alias`: a Maildir or mbox line of a `.qmail-<ext>` file in ~alias (QMAIL.md §3).
 */
export interface MailboxLocation {
  id: string;
  /** the account deliveries run as, whose uid every file of the mailbox must have */
  user: string;
  uid: number;
  home: string;
  /** absolute; a Maildir's path without the trailing / */
  path: string;
  format: MailboxFormat;
  source: 'home' | 'assign' | 'alias';
  /** for `alias`: the `.qmail-<ext>` file that names it */
  dotQmail?: string;
}

export const MailboxUserSchema = z.strictObject({
  id: z.string(),
  user: z.string(),
  home: z.string(),
  path: z.string(),
  format: z.enum(MAILBOX_FORMATS),
  source: z.enum(['home', 'assign', 'alias']),
  dotQmail: z.string().optional(),
  exists: z.boolean(),
  size: z.number().int().min(0),
  count: z.number().int().min(0),
});
export const MailboxUsersResultSchema = z.strictObject({ users: z.array(MailboxUserSchema) });
export type MailboxUsersResult = z.infer<typeof MailboxUsersResultSchema>;

export const MailboxListRequestSchema = z.strictObject({
  user: mailboxId,
  page: z.number().int().min(1).default(1),
  perPage: z.number().int().min(1).max(200).default(20),
  /** the mailbox search query of libs/qmail (MailSearchQuerySchema), checked by the agent */
  search: z.unknown().optional(),
  /** the simple search: text found in From, Subject or To (libs/qmail simpleSearchQuery) */
  q: z.string().min(1).max(MAX_SEARCH_TEXT_LENGTH).optional(),
});
export type MailboxListRequest = z.infer<typeof MailboxListRequestSchema>;

export const MailboxMessageSummarySchema = z.strictObject({
  id: z.string(),
  date: z.string().nullable(),
  size: z.number().int().min(0),
  from: z.string().nullable(),
  to: z.string().nullable(),
  subject: z.string().nullable(),
  flags: z.string().optional(),
});
export const MailboxListResultSchema = z.strictObject({
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  perPage: z.number().int().min(1),
  messages: z.array(MailboxMessageSummarySchema),
});
export type MailboxListResult = z.infer<typeof MailboxListResultSchema>;

export const MailboxReadRequestSchema = z.strictObject({ user: mailboxId, id: z.string().min(1).max(200) });
export const MailboxReadResultSchema = z.strictObject({ id: z.string(), parsed: ParsedMessageSchema });
export const MailboxChunkRequestSchema = z.strictObject({
  user: mailboxId,
  id: z.string().min(1).max(200),
  part: ChunkPartSchema,
  offset: z.number().int().min(0),
  length: z.number().int().min(1).max(CHUNK_MAX_BYTES),
});
export const MailboxDeleteRequestSchema = z.strictObject({ user: mailboxId, ids: z.array(z.string().min(1).max(200)).min(1).max(DELETE_IDS_MAX) });
export const MailboxDeleteResultSchema = z.strictObject({ deleted: z.array(z.string()), missing: z.array(z.string()) });
