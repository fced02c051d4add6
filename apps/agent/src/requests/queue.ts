import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  QueueChunkRequestSchema,
  type ChunkResult,
  type QueueFindRequest,
  type QueueFindResult,
  type QueueListRequest,
  type QueueListResult,
  type QueueMessageSummary,
  type QueueReadResult,
} from '@qfleet/protocol';
import { DEFAULT_SPLIT, nextRetries, pageOf, parseInfo, parseMessage, parseRecipients, scanQueue, type QueuedMessage } from '@qfleet/qmail';
import { RequestFailure, type RequestContext } from './context';
import { chunkOf, fileChunk, headerBlock, parseView } from './message-view';

/**
 * The queue requests (QMAIL.md §4): read straight from the queue directories, as qmail-qread
 * does, while qmail-send runs. Reading is always safe; deleting is in queue-delete.ts.
 */

export const queueDir = (ctx: RequestContext) => join(ctx.qmailHome, 'queue');
export const splitOf = (ctx: RequestContext) => ctx.split ?? DEFAULT_SPLIT;

/** `dir/(ID mod conf-split)/ID` (QMAIL.md §4). */
export const splitPath = (dir: string, id: number, split: number) => join(dir, String(id % split), String(id));

/** Queue files hold bytes (read as latin1 by libs/qmail); clients send UTF-8, so that is how they are shown. */
const display = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

/** The next retries are qmail-send's schedule where the on-disk mtimes are stale (QMAIL.md §4). */
export function summarize(m: QueuedMessage, now = new Date()): QueueMessageSummary {
  const retries = nextRetries(m, now);
  const nextRetryAt: QueueMessageSummary['nextRetryAt'] = {};
  if (retries.local) nextRetryAt.local = retries.local.toISOString();
  if (retries.remote) nextRetryAt.remote = retries.remote.toISOString();
  return {
    id: m.id,
    queuedAt: m.queuedAt.toISOString(),
    size: m.size,
    sender: display(m.sender),
    recipients: m.recipients.map((r) => ({ kind: r.kind, address: display(r.address), done: r.done })),
    bouncing: m.bouncing,
    nextRetryAt,
  };
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
const orUndefined = <T>(p: Promise<T>): Promise<T | undefined> =>
  p.catch((err) => {
    if (isMissing(err)) return undefined;
    throw err;
  });

/** One message as scanQueue reads it, without scanning the whole queue; undefined when qmail-qread would not list it. */
export async function readQueued(ctx: RequestContext, id: number): Promise<QueuedMessage | undefined> {
  const dir = queueDir(ctx);
  const split = splitOf(ctx);
  const withMtime = async (file: string) => {
    const [data, st] = await Promise.all([readFile(file), stat(file)]);
    return { data, mtime: st.mtime };
  };
  const [mess, info, local, remote, bounce] = await Promise.all([
    orUndefined(stat(splitPath(join(dir, 'mess'), id, split))),
    orUndefined(withMtime(splitPath(join(dir, 'info'), id, split))),
    orUndefined(withMtime(splitPath(join(dir, 'local'), id, split))),
    orUndefined(withMtime(splitPath(join(dir, 'remote'), id, split))),
    orUndefined(stat(join(dir, 'bounce', String(id)))),
  ]);
  const sender = info && parseInfo(info.data);
  if (!mess || sender === undefined || !info) return undefined;
  const nextRetryAt: QueuedMessage['nextRetryAt'] = {};
  if (local) nextRetryAt.local = local.mtime;
  if (remote) nextRetryAt.remote = remote.mtime;
  return {
    id,
    queuedAt: info.mtime,
    size: mess.size,
    sender,
    recipients: [...(local ? parseRecipients(local.data, 'local') : []), ...(remote ? parseRecipients(remote.data, 'remote') : [])],
    bouncing: bounce !== undefined,
    nextRetryAt,
  };
}

async function scan(ctx: RequestContext): Promise<QueuedMessage[]> {
  try {
    return (await scanQueue(queueDir(ctx), { split: splitOf(ctx) })).messages;
  } catch (err) {
    throw new RequestFailure('unavailable', (err as Error).message);
  }
}

const SORT_KEYS: Record<QueueListRequest['sort'], (m: QueuedMessage) => number | string> = {
  date: (m) => m.queuedAt.getTime(),
  sender: (m) => m.sender.toLowerCase(),
  recipient: (m) => (m.recipients[0]?.address ?? '').toLowerCase(),
  size: (m) => m.size,
};

/** queue.list: Webmin sorts by id, from or the first recipient (QMAIL.md §7); we add date and size. */
export async function listQueue(ctx: RequestContext, req: QueueListRequest): Promise<QueueListResult> {
  const now = new Date();
  const key = SORT_KEYS[req.sort];
  const sign = req.order === 'asc' ? 1 : -1;
  const sorted = (await scan(ctx)).sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id) * sign;
  });
  const page = pageOf(sorted, req.page, req.perPage);
  return { total: page.total, page: page.page, perPage: page.perPage, messages: page.items.map((m) => summarize(m, now)) };
}

async function messFile(ctx: RequestContext, id: number): Promise<{ message: QueuedMessage; file: string }> {
  const message = await readQueued(ctx, id);
  if (!message) throw new RequestFailure('not_found', `id: no message #${id} in the queue (delivered or deleted)`);
  return { message, file: splitPath(join(queueDir(ctx), 'mess'), id, splitOf(ctx)) };
}

async function readMess(file: string, id: number): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    if (isMissing(err)) throw new RequestFailure('not_found', `id: message #${id} left the queue while being read`);
    throw err;
  }
}

/** queue.read: the envelope as qmail-qread shows it and the message (with qmail-queue's Received: line) parsed. */
export async function readQueueMessage(ctx: RequestContext, req: { id: number }): Promise<QueueReadResult> {
  const { message, file } = await messFile(ctx, req.id);
  return { message: summarize(message), parsed: await parseView(await readMess(file, req.id)) };
}

/** queue.chunk: the mess file read at an offset, or one attachment decoded. */
export async function queueChunk(ctx: RequestContext, req: z.infer<typeof QueueChunkRequestSchema>): Promise<ChunkResult> {
  const { file } = await messFile(ctx, req.id);
  try {
    if (req.part === 'raw') return await fileChunk(file, req.offset, req.length);
  } catch (err) {
    if (isMissing(err)) throw new RequestFailure('not_found', `id: message #${req.id} left the queue while being read`);
    throw err;
  }
  return chunkOf(await readMess(file, req.id), req.part, req.offset, req.length);
}

const contains = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The decoded Subject, from the header block only: the body of a large message is never read. */
async function subjectOf(file: string): Promise<string | undefined> {
  const raw = await readFile(file).catch((err) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  return raw && (await parseMessage(headerBlock(raw))).subject;
}

/** queue.find: the ids of the queued messages matching every criterion given (case-insensitive). */
export async function findQueue(ctx: RequestContext, req: QueueFindRequest): Promise<QueueFindResult> {
  const ids: number[] = [];
  for (const m of await scan(ctx)) {
    if (req.sender && !contains(display(m.sender), req.sender)) continue;
    if (req.recipientDomain && !m.recipients.some((r) => domainOf(display(r.address)) === req.recipientDomain!.toLowerCase())) continue;
    if (req.subject) {
      const subject = await subjectOf(splitPath(join(queueDir(ctx), 'mess'), m.id, splitOf(ctx)));
      if (subject === undefined || !contains(subject, req.subject)) continue;
    }
    ids.push(m.id);
  }
  return { ids, count: ids.length };
}

