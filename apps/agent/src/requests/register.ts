import type { Socket } from 'socket.io-client';
import type { z } from 'zod';
import {
  AgentRequest,
  MailboxChunkRequestSchema,
  MailboxDeleteRequestSchema,
  MailboxListRequestSchema,
  MailboxReadRequestSchema,
  QueueChunkRequestSchema,
  QueueDeleteRequestSchema,
  QueueFindRequestSchema,
  QueueListRequestSchema,
  QueueReadRequestSchema,
  describeProblems,
  oversizePayload,
  parsePayload,
  type RequestError,
} from '@qfleet/protocol';
import { InterruptedMboxDelete, MailboxLocked, MessageNotFound, UnsafeFile } from '@qfleet/qmail';
import { RequestFailure, type RequestContext } from './context';
import { deleteMailboxMessages, listMailbox, mailboxChunk, mailboxUsers, readMailboxMessage } from './mailbox';
import { findQueue, listQueue, queueChunk, readQueueMessage } from './queue';
import { deleteQueued, flushQueue } from './queue-delete';

export type Answer<T> = { ok: true; result: T } | { ok: false; error: RequestError };

interface Handler {
  /** null: the request takes no payload (whatever arrives is ignored). */
  schema: z.ZodType | null;
  run: (ctx: RequestContext, request: never) => Promise<unknown>;
}

const handler = <S extends z.ZodType>(schema: S, run: (ctx: RequestContext, request: z.infer<S>) => Promise<unknown>): Handler => ({ schema, run });

/** Each AgentRequest event and the plain function that answers it. */
export const REQUEST_HANDLERS: Record<(typeof AgentRequest)[keyof typeof AgentRequest], Handler> = {
  [AgentRequest.queueList]: handler(QueueListRequestSchema, listQueue),
  [AgentRequest.queueRead]: handler(QueueReadRequestSchema, readQueueMessage),
  [AgentRequest.queueChunk]: handler(QueueChunkRequestSchema, queueChunk),
  [AgentRequest.queueDelete]: handler(QueueDeleteRequestSchema, deleteQueued),
  [AgentRequest.queueFlush]: { schema: null, run: (ctx) => flushQueue(ctx) },
  [AgentRequest.queueFind]: handler(QueueFindRequestSchema, findQueue),
  [AgentRequest.mailboxUsers]: { schema: null, run: (ctx) => mailboxUsers(ctx) },
  [AgentRequest.mailboxList]: handler(MailboxListRequestSchema, listMailbox),
  [AgentRequest.mailboxRead]: handler(MailboxReadRequestSchema, readMailboxMessage),
  [AgentRequest.mailboxChunk]: handler(MailboxChunkRequestSchema, mailboxChunk),
  [AgentRequest.mailboxDelete]: handler(MailboxDeleteRequestSchema, deleteMailboxMessages),
};

/** A thrown error as the answer's error: typed errors keep their meaning, anything else is 'failed'. */
export function errorOf(err: unknown): RequestError {
  if (err instanceof RequestFailure) return { code: err.code, message: err.message };
  if (err instanceof MessageNotFound) return { code: 'not_found', message: err.message };
  if (err instanceof MailboxLocked) return { code: 'unavailable', message: err.message };
  if (err instanceof InterruptedMboxDelete) return { code: 'failed', message: err.message };
  // A link, a hard link or another owner's file where a mailbox file should be (issue 10).
  if (err instanceof UnsafeFile) return { code: 'failed', message: err.message };
  return { code: 'failed', message: err instanceof Error ? err.message : String(err) };
}

/** Validates, runs and answers one request; never throws. */
export async function answerRequest(ctx: RequestContext, event: string, payload: unknown): Promise<Answer<unknown>> {
  const h = (REQUEST_HANDLERS as Record<string, Handler | undefined>)[event];
  if (!h) return { ok: false, error: { code: 'invalid', message: `unknown request ${event}` } };
  let request: unknown = undefined;
  if (h.schema) {
    // A missing payload is an empty one, so that every field's default applies.
    const parsed = parsePayload(h.schema, payload ?? {});
    if (!parsed.ok) return { ok: false, error: { code: 'invalid', message: describeProblems(parsed.problems) } };
    request = parsed.value;
  }
  try {
    const result = await h.run(ctx, request as never);
    // An answer over the socket limit would be dropped by the controller without a word.
    const oversize = oversizePayload(`${event} answer`, [{ ok: true, result }]);
    if (oversize) throw new RequestFailure('failed', oversize);
    return { ok: true, result };
  } catch (err) {
    const error = errorOf(err);
    ctx.log(`${event} failed (${error.code}): ${error.message}`);
    return { ok: false, error };
  }
}

/** One socket.io handler per AgentRequest; each answers through the acknowledgement. */
export function registerRequestHandlers(socket: Pick<Socket, 'on'>, ctx: RequestContext): void {
  for (const event of Object.keys(REQUEST_HANDLERS)) {
    socket.on(event, (payload: unknown, ack?: (answer: Answer<unknown>) => void) => {
      if (typeof ack !== 'function') {
        ctx.log(`${event} arrived without an acknowledgement callback; ignored`);
        return;
      }
      void answerRequest(ctx, event, payload).then(ack, (err) => ack({ ok: false, error: errorOf(err) }));
    });
  }
}
