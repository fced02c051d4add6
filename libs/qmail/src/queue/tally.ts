import fs from 'node:fs';
import { splitPath } from './records';
import { countQueue, DEFAULT_SPLIT, isGone, listIdSet, listSplit } from './scan';
import { lowerAscii } from '../control';
import { QueueTally, type DomainHealth, type QueueSummary } from './summary';
import type { QueueScanOptions } from './types';
import { turnEvery } from '../event-loop';

/**
 * The agent's queue statistics every 10 s: the figures of `queueSummary` and
 * `queueHealthByDomain` over `scanQueue`, the same to the byte (apps/agent's
 * queue-reporter.spec.ts compares them on real queues), read without building the messages.
 * The statistics need counts, not senders, addresses or dates per message, so each file is
 * read into one buffer the scan reuses and only the domains of pending remote recipients become
 * strings. A full scan of 1,000 messages allocates a few MB that V8's scavenges partly promote
 * and its old space keeps until a memory-reducing GC; this keeps the idle agent near its size
 * between scans (bench/RESULTS.md "Session 7: agent memory").
 *
 * What is read, and what a vanished file means, is scanQueue's (QMAIL.md §4): a message is
 * counted when its `info` and `mess` are there; its `local`/`remote` files are read when their
 * listing, taken after `info`'s, has them.
 */

/**
 * Messages read between two turns of the event loop. The reads are synchronous: each callback
 * of an asynchronous read allocates a request, a closure and a promise, 13 of them per message,
 * and that garbage, not the figures, is what a tick left in V8's old space. A slice of 64
 * messages is ~800 system calls, a few milliseconds on a local disk, after which the agent's
 * socket gets its turn (pings, a config.apply) before the next slice.
 */
const SLICE = 64;
const F = 0x46;
const T = 0x54;
const AT = 0x40;

/** The scan's one reusable buffer and the last file read into it. */
class Reader {
  buf = Buffer.allocUnsafeSlow(4096);
  length = 0;
  mtime = new Date(0);

  /** open, fstat, read, close into `buf`; false if the file vanished. */
  read(file: string): boolean {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if (isGone(e as NodeJS.ErrnoException)) return false;
      throw e;
    }
    try {
      const st = fs.fstatSync(fd);
      this.mtime = st.mtime;
      this.length = 0;
      if (st.size === 0) return true;
      if (st.size > this.buf.length) this.buf = Buffer.allocUnsafeSlow(st.size);
      this.length = fs.readSync(fd, this.buf, 0, st.size, 0);
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }
}

function statSize(file: string): number | undefined {
  return fs.statSync(file, { throwIfNoEntry: false })?.size;
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
  const reader = new Reader();
  const domains: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    await turnEvery(i, SLICE);
    const id = ids[i];
    if (!reader.read(splitPath(`${queueDir}/info`, id, split)) || !infoComplete(reader.buf, reader.length)) continue;
    const queuedAt = reader.mtime;
    const size = statSize(splitPath(`${queueDir}/mess`, id, split));
    if (size === undefined) continue;
    const localPending = local.has(id) && reader.read(splitPath(`${queueDir}/local`, id, split)) && eachPending(reader.buf, reader.length);
    domains.length = 0;
    let remoteOnDisk: Date | undefined;
    if (remote.has(id) && reader.read(splitPath(`${queueDir}/remote`, id, split))) {
      remoteOnDisk = reader.mtime;
      eachPending(reader.buf, reader.length, (start, end) => domains.push(domainAt(reader.buf, start, end)));
    }
    tally.addFigures(size, queuedAt, localPending, domains, remoteOnDisk);
  }
  return { summary: tally.summary(await countsP), domains: tally.domains() };
}
