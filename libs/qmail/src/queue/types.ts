/**
 * The queue as qmail-send leaves it on disk (QMAIL.md §4). Strings taken from queue files
 * (senders, recipients) are byte strings: each character is one byte (latin1), because qmail
 * treats addresses as bytes and qmail-qread prints them byte by byte.
 */

export type QueueChannel = 'local' | 'remote';

export interface QueuedRecipient {
  kind: QueueChannel;
  address: string;
  /** `D` record: delivered or bounced; `T` (pending) otherwise. */
  done: boolean;
}

export interface QueuedMessage {
  /** The inode number of the `mess` file, which names every file of the message. */
  id: number;
  /** The mtime of `info/N/ID`: qmail's birth time of the message. */
  queuedAt: Date;
  /** Size of `mess/N/ID`, qmail-queue's `Received:` line included. */
  size: number;
  /** From the `F` record of `info`; '' for a bounce (shown as `<>`). */
  sender: string;
  /** Local recipients first, then remote, each in file order. */
  recipients: QueuedRecipient[];
  /** `bounce/ID` exists: a bounce is being collected for this message. */
  bouncing: boolean;
  /** The mtimes of `local/N/ID` and `remote/N/ID`, when those files exist. */
  nextRetryAt: { local?: Date; remote?: Date };
}

export interface QueueCounts {
  /** What qmail-qstat prints as "messages in queue": the files under `mess/*`. */
  messages: number;
  /** What qmail-qstat prints as "not yet preprocessed": the files in `todo` (or `todo/*`). */
  unprocessed: number;
}

export interface QueueScan {
  /** The messages qmail-qread would list (those with an `info` file), in its order. */
  messages: QueuedMessage[];
  counts: QueueCounts;
  /** The earliest `queuedAt` among `messages`. */
  oldestQueuedAt?: Date;
  /** The sum of `size` over `messages`. */
  bytes: number;
}

export interface QueueScanOptions {
  /** qmail's conf-split (QMAIL.md §4); 23 unless qmail was built otherwise. */
  split?: number;
  /** How many messages scanQueue reads at once (its reads go through libuv's thread pool); tallyQueue reads one at a time, synchronously, in slices. */
  concurrency?: number;
}

/** The queue directory (or one of its fixed subdirectories) cannot be read. */
export class QueueUnreadable extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`${path}: cannot read the qmail queue (${code})`);
    this.name = 'QueueUnreadable';
  }
}
