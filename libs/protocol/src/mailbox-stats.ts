import { z } from 'zod';
import { MAILBOX_STATS_LIST_MAX, MAILBOX_STATS_TOP } from './limits';

/**
 * Mailbox statistics (issue 14): the agent reports them on connect and every
 * --mailbox-interval seconds as the `mailbox.stats` event, and answers the
 * `mailbox.scan` request with the same figures (the full list when asked).
 */
export const MailboxStatsEvent = 'mailbox.stats';
export const MailboxScanRequest = 'mailbox.scan';

const count = z.number().int().min(0);
const time = z.string().datetime().nullable();

/** One user's mailbox as the agent's scanner sees it. */
export const MailboxFiguresSchema = z.strictObject({
  user: z.string().min(1).max(300),
  format: z.enum(['maildir', 'mbox']),
  messages: count,
  bytes: z.number().min(0),
  /** Maildir: files in new/; mbox: messages without `Status: R` */
  unread: count,
  newestAt: time,
  oldestAt: time,
  /** Maildir++ `maildirsize`: the quota (null where none is set) and its use as the file sums it */
  quotaBytes: z.number().min(0).nullable(),
  quotaMessages: count.nullable(),
  quotaUsedBytes: z.number().nullable(),
  quotaUsedMessages: z.number().int().nullable(),
});
export type MailboxFigures = z.infer<typeof MailboxFiguresSchema>;

export const MailboxStatsSchema = z.strictObject({
  at: z.string().datetime(),
  /** how long the scan took; an incremental scan reads only what changed */
  scanMs: z.number().min(0),
  mailboxes: count,
  messages: count,
  bytes: z.number().min(0),
  unread: count,
  /** mailboxes with a Maildir++ quota */
  withQuota: count,
  /** mailboxes that could not be read (a link, a permission), left out of the figures */
  skipped: count,
  /** the largest mailboxes by bytes */
  largest: z.array(MailboxFiguresSchema).max(MAILBOX_STATS_TOP),
  /** the mailboxes using the largest share of their quota */
  fullest: z.array(MailboxFiguresSchema).max(MAILBOX_STATS_TOP),
  /** every mailbox, largest first: only in an answer to `mailbox.scan` with `full: true` */
  all: z.array(MailboxFiguresSchema).max(MAILBOX_STATS_LIST_MAX).optional(),
  /** set when `all` was cut at MAILBOX_STATS_LIST_MAX */
  truncated: z.boolean().optional(),
});
export type MailboxStats = z.infer<typeof MailboxStatsSchema>;

export const MailboxScanRequestSchema = z.strictObject({ full: z.boolean().default(false) });
export type MailboxScanRequestPayload = z.infer<typeof MailboxScanRequestSchema>;

/**
 * What the agent's scanner reads: a discovered mailbox (`MailboxLocation`), named by its mailbox id
 * (a user, or `alias+<ext>`), the same id the host's mailbox view takes.
 */
export interface MailboxScanTarget {
  user: string;
  path: string;
  format: 'maildir' | 'mbox';
}

/** The share of its quota a mailbox uses (the larger of bytes and messages), or null without a quota. */
export function quotaShare(m: Pick<MailboxFigures, 'quotaBytes' | 'quotaMessages' | 'quotaUsedBytes' | 'quotaUsedMessages'>): number | null {
  const shares: number[] = [];
  if (m.quotaBytes && m.quotaUsedBytes !== null) shares.push(m.quotaUsedBytes / m.quotaBytes);
  if (m.quotaMessages && m.quotaUsedMessages !== null) shares.push(m.quotaUsedMessages / m.quotaMessages);
  return shares.length ? Math.max(...shares) : null;
}

// ---- the controller's API (GET /api/stats/mailboxes) -----------------------------------------

export interface MailboxPoint {
  at: string;
  mailboxes: number;
  messages: number;
  bytes: number;
  unread: number;
}

export interface MailboxHostFigures extends MailboxPoint {
  hostId: string;
  host: string;
  scanMs: number;
  withQuota: number;
  skipped: number;
}

export type FleetMailbox = MailboxFigures & { hostId: string; host: string; quotaShare: number | null };

export interface MailboxFleetStats {
  /** seconds per point of `fleet` */
  step: number;
  /** fleet totals over time: each host counts with its latest sample at or before each point */
  fleet: MailboxPoint[];
  /** the latest figures of each host, most bytes first */
  hosts: MailboxHostFigures[];
  /** the largest mailboxes across the fleet (from each host's reported largest) */
  largest: FleetMailbox[];
  /** mailboxes at or over `quotaOver` of their quota, fullest first */
  overQuota: FleetMailbox[];
  quotaOver: number;
}

export interface MailboxHostStats {
  hostId: string;
  host: string;
  latest: MailboxStats | null;
  series: MailboxPoint[];
  step: number;
}
