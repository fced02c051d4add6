import { turnEvery as turnEveryOf } from '@qfleet/qmail';

/**
 * The apply's file operations are synchronous system calls (durable-fs says why), and a revision
 * may name 100,000 files. A loop over its files gives the event loop a turn every TURN_EVERY
 * items, so the controller link's pings and other requests are still answered mid-apply. A
 * create or rename is microseconds, but one that meets a running commit of the file system's
 * journal waits for it, and on a busy mail server qmail-queue's and qmail-send's own fsyncs keep
 * commits frequent: 16 files is a short stretch even then, and a turn costs next to nothing.
 */
export const TURN_EVERY = 16;

/** A turn for the event loop before item I when I is a multiple of TURN_EVERY (not before the first). */
export const turnEvery = (i: number): Promise<void> => turnEveryOf(i, TURN_EVERY);
