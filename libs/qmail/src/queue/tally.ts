import fs from 'node:fs';
import { splitPath } from './records';
import { countQueue, DEFAULT_SPLIT, isGone, listIdSet, listSplit } from './scan';
import { lowerAscii } from '../control';
import { QueueTally, type DomainHealth, type QueueSummary } from './summary';
import type { QueueScanOptions } from './types';

/**
 * The agent's queue statistics every 10 s: the figures of `queueSummary` and
 * `queueHealthByDomain` over `scanQueue`, the same to the byte (apps/agent's
 * queue-reporter.spec.ts compares them on real queues), read without building the messages.
 * The statistics need counts, not senders, addresses or dates per message, so each file is
 * read into a buffer its lane reuses and only the domains of pending remote recipients become
 * strings. A full scan of 1,000 messages allocates a few MB that V8's scavenges partly promote
 * and its old space keeps until a memory-reducing GC; this keeps the idle agent near its size
 * between scans (bench/RESULTS.md "Session 7: agent memory").
 *
 * What is read, and what a vanished file means, is scanQueue's (QMAIL.md §4): a message is
 * counted when its `info` and `mess` are there; its `local`/`remote` files are read when their
 * listing, taken after `info`'s, has them.
 */

/**
 * Messages in flight. libuv runs 4 file operations at a time, so 8 messages keep its pool busy;
 * more only wait in its queue with their buffers and callbacks alive (at 128 a 1,000-message
 * scan left the agent ~4 MiB bigger than at 8, and was no faster).
 */
const CONCURRENCY = 8;
const F = 0x46;
const T = 0x54;
const AT = 0x40;

/** One lane's reusable buffer and the last file read into it. */
class Lane {
  buf = Buffer.allocUnsafeSlow(4096);
  length = 0;
  mtime = new Date(0);
  readonly domains: string[] = [];

  /** open, fstat, read, close into `buf`; false if the file vanished. */
  read(file: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      fs.open(file, 'r', (err, fd) => {
        if (err) return isGone(err) ? resolve(false) : reject(err);
        const finish = (failure: Error | null) => fs.close(fd, () => (failure ? reject(failure) : resolve(true)));
        fs.fstat(fd, (err, st) => {
          if (err) return finish(err);
          this.mtime = st.mtime;
          this.length = 0;
          if (st.size === 0) return finish(null);
          if (st.size > this.buf.length) this.buf = Buffer.allocUnsafeSlow(st.size);
          fs.read(fd, this.buf, 0, st.size, 0, (err, n) => {
            this.length = n;
            finish(err);
          });
        });
      });
    });
  }
}

function statSize(file: string): Promise<number | undefined> {
  return new Promise((resolve, reject) =>
    fs.stat(file, (err, st) => (err ? (isGone(err) ? resolve(undefined) : reject(err)) : resolve(st.size))),
  );
}

/** parseInfo's test without the sender: an `F` record with its NUL. */
function infoComplete(buf: Buffer, length: number): boolean {
  if (length < 2 || buf[0] !== F) return false;
  for (let i = 1; i < length; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * Walks the records as parseRecipients does; for each pending (`T`) one calls `pending` with
 * the record's address bytes [start, end). Returns whether any was pending.
 */
function eachPending(buf: Buffer, length: number, pending?: (start: number, end: number) => void): boolean {
  let any = false;
  let start = 0;
  for (;;) {
    let nul = start;
    while (nul < length && buf[nul] !== 0) nul++;
    if (nul >= length) break;
    if (nul > start && buf[start] === T) {
      any = true;
      if (!pending) return true;
      pending(start + 1, nul);
    }
    start = nul + 1;
  }
  return any;
}

/** domainOf on the bytes: after the last `@`, latin1, ASCII-lowercased; '' without one. */
function domainAt(buf: Buffer, start: number, end: number): string {
  for (let i = end - 1; i >= start; i--) if (buf[i] === AT) return lowerAscii(buf.toString('latin1', i + 1, end));
  return '';
}

/** Runs `fn` over `items` with at most `limit` calls pending. */
async function eachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export async function tallyQueue(
  queueDir: string,
  now: Date,
  opts: QueueScanOptions = {},
): Promise<{ summary: QueueSummary; domains: DomainHealth[] }> {
  const split = opts.split ?? DEFAULT_SPLIT;
  const countsP = countQueue(queueDir);
  countsP.catch(() => undefined); // awaited below; avoids an unhandled rejection meanwhile
  // info first, as scanQueue: the channel files listed afterwards are every one of these messages'.
  const ids = (await listSplit(`${queueDir}/info`, split)).flat();
  const [local, remote] = await Promise.all([listIdSet(`${queueDir}/local`, split), listIdSet(`${queueDir}/remote`, split)]);
  const tally = new QueueTally(now);
  const lanes: Lane[] = [];
  await eachBounded(ids, opts.concurrency ?? CONCURRENCY, async (id) => {
    const lane = lanes.pop() ?? new Lane();
    try {
      if (!(await lane.read(splitPath(`${queueDir}/info`, id, split))) || !infoComplete(lane.buf, lane.length)) return;
      const queuedAt = lane.mtime;
      const size = await statSize(splitPath(`${queueDir}/mess`, id, split));
      if (size === undefined) return;
      const localPending = local.has(id) && (await lane.read(splitPath(`${queueDir}/local`, id, split))) && eachPending(lane.buf, lane.length);
      lane.domains.length = 0;
      let remoteOnDisk: Date | undefined;
      if (remote.has(id) && (await lane.read(splitPath(`${queueDir}/remote`, id, split)))) {
        remoteOnDisk = lane.mtime;
        eachPending(lane.buf, lane.length, (start, end) => lane.domains.push(domainAt(lane.buf, start, end)));
      }
      tally.addFigures(size, queuedAt, localPending, lane.domains, remoteOnDisk);
    } finally {
      lanes.push(lane);
    }
  });
  return { summary: tally.summary(await countsP), domains: tally.domains() };
}
