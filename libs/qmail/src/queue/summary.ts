import { lowerAscii } from '../control';
import { nextRetry } from './retry';
import type { QueueScan } from './types';

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

export function queueSummary(scan: QueueScan, now: Date): QueueSummary {
  let local = 0;
  let remote = 0;
  for (const m of scan.messages) {
    if (m.recipients.some((r) => r.kind === 'local' && !r.done)) local++;
    if (m.recipients.some((r) => r.kind === 'remote' && !r.done)) remote++;
  }
  const oldestAgeSec = scan.oldestQueuedAt
    ? Math.max(0, Math.floor((now.getTime() - scan.oldestQueuedAt.getTime()) / 1000))
    : null;
  return { messages: scan.counts.messages, unprocessed: scan.counts.unprocessed, local, remote, bytes: scan.bytes, oldestAgeSec };
}

/** Domains are ASCII-lowercased: qmail matches domains case-insensitively byte by byte (QMAIL.md §0). */
function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return lowerAscii(at === -1 ? '' : address.slice(at + 1));
}

/** Where the remote backlog is, biggest first (ties by domain name). */
export function queueHealthByDomain(scan: QueueScan, now: Date): DomainHealth[] {
  const byDomain = new Map<string, DomainHealth>();
  for (const m of scan.messages) {
    const seen = new Set<string>();
    for (const r of m.recipients) {
      if (r.kind !== 'remote' || r.done) continue;
      const domain = domainOf(r.address);
      let h = byDomain.get(domain);
      if (!h) {
        h = { domain, messages: 0, recipients: 0, oldestQueuedAt: m.queuedAt };
        byDomain.set(domain, h);
      }
      h.recipients++;
      if (seen.has(domain)) continue;
      seen.add(domain);
      h.messages++;
      if (m.queuedAt < h.oldestQueuedAt) h.oldestQueuedAt = m.queuedAt;
      const onDisk = m.nextRetryAt.remote;
      const retry = onDisk && nextRetry(m.queuedAt, onDisk, 'remote', now);
      if (retry && (!h.nextRetryAt || retry < h.nextRetryAt)) h.nextRetryAt = retry;
    }
  }
  return [...byDomain.values()].sort((a, b) => b.messages - a.messages || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}
