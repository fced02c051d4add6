import { MAILBOX_STATS_LIST_MAX, MAILBOX_STATS_TOP, quotaShare, type MailboxFigures, type MailboxScanTarget, type MailboxStats } from '@qfleet/protocol';
import { MailboxStatsScanner, type ScanResult } from './scanner';

const bySize = (a: MailboxFigures, b: MailboxFigures) => b.bytes - a.bytes || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0);

/** A scan as the controller gets it: totals, the largest and the fullest, and every mailbox when `full`. */
export function summarize(scan: ScanResult, at: Date, full: boolean): MailboxStats {
  const boxes = scan.mailboxes;
  const sorted = [...boxes].sort(bySize);
  const withQuota = boxes.filter((m) => quotaShare(m) !== null);
  const fullest = withQuota.sort((a, b) => quotaShare(b)! - quotaShare(a)! || bySize(a, b)).slice(0, MAILBOX_STATS_TOP);
  const stats: MailboxStats = {
    at: at.toISOString(),
    scanMs: scan.ms,
    mailboxes: boxes.length,
    messages: boxes.reduce((n, m) => n + m.messages, 0),
    bytes: boxes.reduce((n, m) => n + m.bytes, 0),
    unread: boxes.reduce((n, m) => n + m.unread, 0),
    withQuota: withQuota.length,
    skipped: scan.skipped,
    largest: sorted.slice(0, MAILBOX_STATS_TOP),
    fullest,
  };
  if (full) {
    stats.all = sorted.slice(0, MAILBOX_STATS_LIST_MAX);
    if (sorted.length > MAILBOX_STATS_LIST_MAX) stats.truncated = true;
  }
  return stats;
}

/**
 * Scans on a timer and on request, one scan at a time: a request during a scan waits for it
 * and then scans again (cheap: only what changed since). Like the queue reporter, a host whose
 * scan takes long is scanned less often: the pause is at least five times the last scan.
 */
export function startMailboxReporter(opts: {
  intervalSec: number;
  locations: () => Promise<MailboxScanTarget[]>;
  send: (stats: MailboxStats) => void;
  onError: (e: Error) => void;
  scanner?: MailboxStatsScanner;
}): { stop(): void; now(): void; scan(full: boolean): Promise<MailboxStats> } {
  const scanner = opts.scanner ?? new MailboxStatsScanner();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let lastMs = 0;

  const scan = (full: boolean): Promise<MailboxStats> => {
    const run = running.then(async () => {
      const at = new Date();
      const result = await scanner.scan(await opts.locations());
      lastMs = result.ms;
      return summarize(result, at, full);
    });
    running = run.catch(() => undefined);
    return run;
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    if (!stopped) timer = setTimeout(tick, Math.max(opts.intervalSec * 1000, lastMs * 5));
  };
  const tick = () => {
    if (stopped) return;
    scan(false)
      .then((stats) => stopped || opts.send(stats))
      .catch((e: Error) => opts.onError(e))
      .finally(schedule);
  };

  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    now: () => {
      if (timer) clearTimeout(timer);
      tick();
    },
    scan,
  };
}
