import fs from 'node:fs';
import path from 'node:path';
import { parseId, parseInfo, parseRecipients, splitPath } from './records';
import { QueueUnreadable, type QueueCounts, type QueuedMessage, type QueueScan, type QueueScanOptions } from './types';

/**
 * Reads a live qmail queue directly, as qmail-qread and qmail-qstat do, without forking them
 * (DESIGN.md "The agent"). qmail-send keeps running meanwhile, so any file may disappear
 * between the listing and the read (QMAIL.md §4, "Message lifecycle"): a message whose `mess`
 * or `info` is gone is left out, a gone `local`/`remote`/`bounce` file reads as absent.
 *
 * Speed: 100,000 messages are a few hundred thousand small reads. They go through the callback
 * fs API (lighter than fs/promises' FileHandle) with a bounded number of messages in flight,
 * so the event loop stays free for the agent's socket while a scan runs.
 */

/** qmail's conf-split, unless qmail was built with another. */
export const DEFAULT_SPLIT = 23;
const DEFAULT_CONCURRENCY = 128;

interface Content {
  data: Buffer;
  mtime: Date;
}

export const isGone = (err: NodeJS.ErrnoException | null) => err?.code === 'ENOENT';

/** open, fstat, read, close: the content and the mtime of one file; undefined if it vanished. */
function readWithMtime(file: string): Promise<Content | undefined> {
  return new Promise((resolve, reject) => {
    fs.open(file, 'r', (err, fd) => {
      if (err) return isGone(err) ? resolve(undefined) : reject(err);
      const finish = (failure: Error | null, value?: Content) =>
        fs.close(fd, () => (failure ? reject(failure) : resolve(value)));
      fs.fstat(fd, (err, st) => {
        if (err) return finish(err);
        const data = Buffer.allocUnsafe(st.size);
        if (st.size === 0) return finish(null, { data, mtime: st.mtime });
        fs.read(fd, data, 0, st.size, 0, (err, n) => (err ? finish(err) : finish(null, { data: data.subarray(0, n), mtime: st.mtime })));
      });
    });
  });
}

function statSize(file: string): Promise<number | undefined> {
  return new Promise((resolve, reject) =>
    fs.stat(file, (err, st) => (err ? (isGone(err) ? resolve(undefined) : reject(err)) : resolve(st.size))),
  );
}

/** A fixed queue directory: missing or unreadable means this is not a usable queue. */
async function listDir(dir: string): Promise<fs.Dirent[]> {
  try {
    return await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new QueueUnreadable(dir, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

/** Entries below a directory, recursively, as `find DIR -print` lists them minus DIR itself. */
async function countBelow(dir: string): Promise<number> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isGone(err as NodeJS.ErrnoException)) return 0;
    throw err;
  }
  const nested = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => countBelow(path.join(dir, e.name))));
  return entries.length + nested.reduce((a, b) => a + b, 0);
}

/**
 * qmail-qstat.sh: `find queue/mess/* -print | wc -w` minus the number of `mess/*` entries,
 * i.e. everything below the (non-hidden) subdirectories of `mess`.
 */
async function countInSubdirs(dir: string, entries: fs.Dirent[]): Promise<number> {
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  const counts = await Promise.all(dirs.map((e) => countBelow(path.join(dir, e.name))));
  return counts.reduce((a, b) => a + b, 0);
}

export async function countQueue(queueDir: string): Promise<QueueCounts> {
  const messDir = path.join(queueDir, 'mess');
  const todoDir = path.join(queueDir, 'todo');
  const [mess, todo] = await Promise.all([listDir(messDir), listDir(todoDir)]);
  // qmail-qstat counts everything below `todo`; with the big-todo patch `todo` is split like
  // `mess` (QMAIL.md §4) and its subdirectories are not messages.
  const bigTodo = todo.some((e) => e.isDirectory());
  const [messages, unprocessed] = await Promise.all([
    countInSubdirs(messDir, mess),
    bigTodo ? countInSubdirs(todoDir, todo) : countBelow(todoDir),
  ]);
  return { messages, unprocessed };
}

/** The ids in `dir/0` … `dir/(split-1)`, in qmail's readsubdir order. */
export async function listSplit(dir: string, split: number): Promise<number[][]> {
  return Promise.all(
    Array.from({ length: split }, async (_, n) => {
      const ids: number[] = [];
      for (const e of await listDir(path.join(dir, String(n)))) {
        const id = parseId(e.name);
        if (id !== undefined) ids.push(id);
      }
      return ids;
    }),
  );
}

export async function listIdSet(dir: string, split?: number): Promise<Set<number>> {
  const set = new Set<number>();
  if (split === undefined) {
    for (const e of await listDir(dir)) {
      const id = parseId(e.name);
      if (id !== undefined) set.add(id);
    }
  } else {
    for (const ids of await listSplit(dir, split)) for (const id of ids) set.add(id);
  }
  return set;
}

async function readMessage(
  queueDir: string,
  id: number,
  split: number,
  has: { local: Set<number>; remote: Set<number>; bounce: Set<number> },
): Promise<QueuedMessage | undefined> {
  const [size, info, local, remote] = await Promise.all([
    statSize(splitPath(`${queueDir}/mess`, id, split)),
    readWithMtime(splitPath(`${queueDir}/info`, id, split)),
    has.local.has(id) ? readWithMtime(splitPath(`${queueDir}/local`, id, split)) : undefined,
    has.remote.has(id) ? readWithMtime(splitPath(`${queueDir}/remote`, id, split)) : undefined,
  ]);
  // qmail-qread reports "trouble with #ID" and moves on; the message is being removed.
  if (size === undefined || info === undefined) return undefined;
  const sender = parseInfo(info.data);
  if (sender === undefined) return undefined;
  const recipients = [
    ...(local ? parseRecipients(local.data, 'local') : []),
    ...(remote ? parseRecipients(remote.data, 'remote') : []),
  ];
  const nextRetryAt: QueuedMessage['nextRetryAt'] = {};
  if (local) nextRetryAt.local = local.mtime;
  if (remote) nextRetryAt.remote = remote.mtime;
  return { id, queuedAt: info.mtime, size, sender, recipients, bouncing: has.bounce.has(id), nextRetryAt };
}

/** Runs `fn` over `items` with at most `limit` calls pending; results keep the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export async function scanQueue(queueDir: string, opts: QueueScanOptions = {}): Promise<QueueScan> {
  const split = opts.split ?? DEFAULT_SPLIT;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const countsP = countQueue(queueDir);
  countsP.catch(() => undefined); // awaited below; avoids an unhandled rejection meanwhile
  // info first: qmail-send creates info before local/remote (qmail-send.c todo_do), so
  // listing those afterwards sees every channel file of every message listed here.
  const ids = (await listSplit(`${queueDir}/info`, split)).flat();
  const [local, remote, bounce] = await Promise.all([
    listIdSet(`${queueDir}/local`, split),
    listIdSet(`${queueDir}/remote`, split),
    listIdSet(`${queueDir}/bounce`),
  ]);
  const read = await mapBounded(ids, concurrency, (id) => readMessage(queueDir, id, split, { local, remote, bounce }));
  const messages = read.filter((m): m is QueuedMessage => m !== undefined);
  let bytes = 0;
  let oldest: Date | undefined;
  for (const m of messages) {
    bytes += m.size;
    if (!oldest || m.queuedAt < oldest) oldest = m.queuedAt;
  }
  const scan: QueueScan = { messages, counts: await countsP, bytes };
  if (oldest) scan.oldestQueuedAt = oldest;
  return scan;
}
