import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** sender (lower case) → seconds since the epoch of the last reply */
export type ReplyLog = Record<string, number>;

/** A flood of distinct senders must not grow the file without bound; the oldest go first. */
const MAX_ENTRIES = 10_000;

/**
 * Webmin's Reply-Tracking / Reply-Period (QMAIL.md §7): one reply per sender per period. The
 * log lives in a small JSON file per autoreply; a missing or unreadable file is an empty log.
 */
export async function readReplyLog(path: string): Promise<ReplyLog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${path} is not a JSON object`);
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

export function repliedRecently(log: ReplyLog, sender: string, nowSec: number, periodSec: number): boolean {
  const last = log[sender.toLowerCase()];
  return last !== undefined && nowSec - last < periodSec;
}

/** The log after a reply to SENDER: entries older than the period pruned, size capped. */
export function recordReply(log: ReplyLog, sender: string, nowSec: number, periodSec: number): ReplyLog {
  const kept = Object.entries({ ...log, [sender.toLowerCase()]: nowSec })
    .filter(([, t]) => nowSec - t < periodSec || t > nowSec)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_ENTRIES);
  return Object.fromEntries(kept);
}

/**
 * Temp file and rename, so a concurrent delivery reads the old log or the new one, never half
 * of one. Two deliveries racing may each write; the loser's entry is lost, which costs at most
 * one extra reply. The directory is created when missing.
 */
export async function writeReplyLog(path: string, log: ReplyLog): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(log) + '\n', { mode: 0o600 });
  await rename(temp, path);
}
