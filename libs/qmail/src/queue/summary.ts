import { lowerAscii } from '../control';
import { nextRetry } from './retry';
import type { QueueCounts, QueuedMessage, QueueScan } from './types';

/** The figures an operator watches (QMAIL.md §8): size, backlog and age of the queue. */
export interface QueueSummary {
  /** As qmail-qstat: files under `mess/*`. */
  messages: number;
  /** As qmail-qstat: messages in `todo`, not yet seen by qmail-send. */
  unprocessed: number;
  /** Messages with at least one pending (T) local recipient. */
  local: number;
  /** Messages with at least one pending (T) remote recipient. */
  remote: number;
  bytes: number;
  /** Whole seconds since the oldest listed message was queued; null for an empty queue. */
  oldestAgeSec: number | null;
}

export interface DomainHealth {
  /** The part after the last `@` of pending remote recipients, ASCII-lowercased. */
  domain: string;
  /** Messages with at least one pending recipient at this domain. */
  messages: number;
  /** Pending recipients at this domain, across messages. */
  recipients: number;
  /** The earliest next remote retry among those messages (QMAIL.md §4; see `nextRetry`). */
  nextRetryAt?: Date;
  oldestQueuedAt: Date;
}

/**
 * The queue's figures folded one message at a time: what `queueSummary` and
 * `queueHealthByDomain` compute, without holding the messages. The agent's statistics feed it
 * as it reads the queue (`tallyQueue`), so a scan keeps no message alive past its own read.
 */
export class QueueTally {
  private local = 0;
  private remote = 0;
  private bytes = 0;
  private oldest: Date | undefined;
  private readonly byDomain = new Map<string, DomainHealth>();
  /** One message's domains, reused: a fresh Set per message is garbage for nothing. */
  private readonly seen = new Set<string>();

  constructor(private readonly now: Date) {}

  add(m: QueuedMessage): void {
    const domains: string[] = [];
    let localPending = false;
    for (const r of m.recipients) {
      if (r.done) continue;
      if (r.kind === 'local') localPending = true;
      else domains.push(domainOf(r.address));
    }
    this.addFigures(m.size, m.queuedAt, localPending, domains, m.nextRetryAt.remote);
  }

  /**
   * One message as the counts need it: `remoteDomains` has the domain (see `domainOf`) of each
   * pending remote recipient in file order; `remoteOnDisk` is the mtime of its `remote` file.
   */
  addFigures(size: number, queuedAt: Date, localPending: boolean, remoteDomains: readonly string[], remoteOnDisk: Date | undefined): void {
    this.bytes += size;
    if (!this.oldest || queuedAt < this.oldest) this.oldest = queuedAt;
    if (localPending) this.local++;
    if (remoteDomains.length) this.remote++;
    this.seen.clear();
    for (const domain of remoteDomains) {
      let h = this.byDomain.get(domain);
      if (!h) {
        h = { domain, messages: 0, recipients: 0, oldestQueuedAt: queuedAt };
        this.byDomain.set(domain, h);
      }
      h.recipients++;
      if (this.seen.has(domain)) continue;
      this.seen.add(domain);
      h.messages++;
      if (queuedAt < h.oldestQueuedAt) h.oldestQueuedAt = queuedAt;
      const retry = remoteOnDisk && nextRetry(queuedAt, remoteOnDisk, 'remote', this.now);
      if (retry && (!h.nextRetryAt || retry < h.nextRetryAt)) h.nextRetryAt = retry;
    }
  }

  /** As `queueSummary` over a scan of the messages added, with qmail-qstat's `counts`. */
  summary(counts: QueueCounts): QueueSummary {
    return summaryOf(counts, this.local, this.remote, this.bytes, this.oldest, this.now);
  }

  /** As `queueHealthByDomain`: busiest first, ties by domain name. */
  domains(): DomainHealth[] {
    return [...this.byDomain.values()].sort((a, b) => b.messages - a.messages || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  }
}

function summaryOf(counts: QueueCounts, local: number, remote: number, bytes: number, oldest: Date | undefined, now: Date): QueueSummary {
  const oldestAgeSec = oldest ? Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)) : null;
  return { messages: counts.messages, unprocessed: counts.unprocessed, local, remote, bytes, oldestAgeSec };
}

export function queueSummary(scan: QueueScan, now: Date): QueueSummary {
  let local = 0;
  let remote = 0;
  for (const m of scan.messages) {
    if (m.recipients.some((r) => r.kind === 'local' && !r.done)) local++;
    if (m.recipients.some((r) => r.kind === 'remote' && !r.done)) remote++;
  }
  return summaryOf(scan.counts, local, remote, scan.bytes, scan.oldestQueuedAt, now);
}

/** Domains are ASCII-lowercased: qmail matches domains case-insensitively byte by byte (QMAIL.md §0). */
function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return lowerAscii(at === -1 ? '' : address.slice(at + 1));
}

/** Where the remote backlog is, biggest first (ties by domain name). */
export function queueHealthByDomain(scan: QueueScan, now: Date): DomainHealth[] {
  const tally = new QueueTally(now);
  for (const m of scan.messages) tally.add(m);
  return tally.domains();
}
