import type { QueueChannel, QueuedRecipient } from './types';

/**
 * Pure parsers for the NUL-terminated records of queue files (QMAIL.md §4), read the way
 * qmail-qread.c reads them with getln(…, '\0').
 */

/**
 * The sender of an `info` file: the bytes after the first byte up to the first NUL, as
 * qmail-qread prints `sender.s + 1`. `undefined` while the `F` record is incomplete, which
 * happens only in the instant qmail-send is writing it (the message is still in `todo`).
 */
export function parseInfo(content: Buffer): string | undefined {
  const nul = content.indexOf(0);
  if (nul < 1 || content[0] !== 0x46 /* F */) return undefined;
  return content.toString('latin1', 1, nul);
}

/**
 * The recipients of a `local` or `remote` file: `T` pending, `D` done. Other record types
 * and a last record without its NUL are skipped, as qmail-qread does.
 */
export function parseRecipients(content: Buffer, kind: QueueChannel): QueuedRecipient[] {
  const out: QueuedRecipient[] = [];
  let start = 0;
  for (;;) {
    const nul = content.indexOf(0, start);
    if (nul === -1) break;
    const type = content[start];
    if (nul > start && (type === 0x54 /* T */ || type === 0x44) /* D */) {
      out.push({ kind, address: content.toString('latin1', start + 1, nul), done: type === 0x44 });
    }
    start = nul + 1;
  }
  return out;
}

/** `mess`, `info`, `local` and `remote` are split by `ID mod conf-split`; `bounce` is not. */
export function splitPath(dir: string, id: number, split: number): string {
  return `${dir}/${id % split}/${id}`;
}

/** qmail's readsubdir accepts only names made of digits (scan_ulong to the end). */
export function parseId(name: string): number | undefined {
  if (!/^[0-9]+$/.test(name)) return undefined;
  const id = Number(name);
  return Number.isSafeInteger(id) ? id : undefined;
}
