import fs from 'node:fs';
import path from 'node:path';
import { tallyQueue } from '@qfleet/qmail';
import type { QueueStats } from '@qfleet/protocol';

/** Top destination domains sent with each report: enough to see "gmail.com deferring" at a glance. */
const TOP_DOMAINS = 20;

/**
 * Reads the queue as qmail-qstat and qmail-qread would (QMAIL.md §4), without forking them.
 * Counts only: the messages are folded into the figures as they are read and not kept (the
 * queue view's requests list them). Returns null when this host has no queue directory.
 */
export async function collectQueueStats(qmailHome: string, now = new Date()): Promise<QueueStats | null> {
  const queueDir = path.join(qmailHome, 'queue');
  if (!fs.existsSync(queueDir)) return null;
  const { summary, domains } = await tallyQueue(queueDir, now);
  return {
    at: now.toISOString(),
    ...summary,
    domains: domains
      .slice(0, TOP_DOMAINS)
      .map((d) => ({
        domain: d.domain,
        messages: d.messages,
        recipients: d.recipients,
        nextRetryAt: d.nextRetryAt ? d.nextRetryAt.toISOString() : null,
        oldestQueuedAt: d.oldestQueuedAt ? d.oldestQueuedAt.toISOString() : null,
      })),
  };
}

/**
 * Reports on a timer. A queue big enough to take long to read is read less often: the pause
 * is at least five times the last scan, so statistics never eat a mail server's disk time.
 */
export function startQueueReporter(opts: {
  qmailHome: string;
  intervalSec: number;
  send: (stats: QueueStats) => void;
  onError: (e: Error) => void;
}): { stop(): void; now(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    const started = Date.now();
    try {
      const stats = await collectQueueStats(opts.qmailHome);
      if (stats) opts.send(stats);
    } catch (e) {
      opts.onError(e as Error);
    } finally {
      running = false;
      const took = Date.now() - started;
      if (!stopped) timer = setTimeout(tick, Math.max(opts.intervalSec * 1000, took * 5));
    }
  };
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    now: () => {
      if (timer) clearTimeout(timer);
      void tick();
    },
  };
}
