import { createHash, type Hash } from 'node:crypto';

/**
 * The mbox format qmail-local writes (QMAIL.md §6, mboxrd): each message starts with
 * `From <sender> <asctime>`, body lines matching `^>*From ` get one more `>`, and a blank line is
 * added after the message. Pure code: the scanner is fed bytes and never touches a file.
 */

/** One message of an mbox, as listed. Nothing of its body is kept. */
export interface MboxMessage {
  /**
   * sha1 of the message's bytes in the file (From_ line to the next separator), first 20 hex
   * digits. It depends on nothing else, so deleting or appending other messages never changes it;
   * a byte-identical copy later in the file gets `-2`, `-3`, … in file order.
   */
  id: string;
  /** Byte offset of the From_ line. */
  offset: number;
  /** Bytes in the file, From_ line to the next separator (the blank line qmail-local added included). */
  length: number;
  /** Bytes of the message itself: no From_ line, no added blank line, `>From ` unquoted. */
  size: number;
  /** The sender of the From_ line (`MAILER-DAEMON` for the empty sender, QMAIL.md §6). */
  sender: string;
  /** The From_ line's date; qmail-local writes it in UTC (myctime()). Null when unreadable. */
  date: Date | null;
  /** The From_ line, without its newline. */
  fromLine: string;
}

/** A listed message and, when the scanner was asked to collect, its unquoted bytes. */
export interface ScannedMessage extends MboxMessage {
  raw?: Buffer;
}

const NL = 0x0a;
const FROM_ = Buffer.from('From ');
const ID_DIGITS = 20;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function isBlank(line: Buffer): boolean {
  return (line.length === 1 && line[0] === NL) || (line.length === 2 && line[0] === 0x0d && line[1] === NL);
}

function startsWithFrom(line: Buffer, at = 0): boolean {
  return line.length - at >= 5 && line.compare(FROM_, 0, 5, at, at + 5) === 0;
}

/** qmail's gfrom(): the lines that got a `>` on delivery are `^>+From ` now (mboxrd). */
export function isQuotedFrom(line: Buffer): boolean {
  let i = 0;
  while (i < line.length && line[i] === 0x3e) i++;
  return i > 0 && startsWithFrom(line, i);
}

/** Undoes one level of mboxrd quoting: `>From ` → `From `, `>>From ` → `>From `. */
export function unquoteMboxrd(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    const nl = body.indexOf(NL, start);
    const end = nl === -1 ? body.length : nl + 1;
    const line = body.subarray(start, end);
    parts.push(isQuotedFrom(line) ? line.subarray(1) : line);
    start = end;
  }
  return Buffer.concat(parts);
}

/** `From sender Thu Jan  1 00:00:00 1970` → sender and date (asctime read as UTC, as qmail writes it). */
export function parseFromLine(line: string): { sender: string; date: Date | null } {
  const rest = line.replace(/^From /, '').replace(/\r?\n$/, '');
  const space = rest.indexOf(' ');
  const sender = space === -1 ? rest : rest.slice(0, space);
  const m = /(\w{3}) +(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?: +[A-Z]{2,5})? +(\d{4})/.exec(rest.slice(space + 1));
  const month = m ? MONTHS.indexOf(m[1]) : -1;
  const date = m && month >= 0 ? new Date(Date.UTC(+m[6], month, +m[2], +m[3], +m[4], +m[5])) : null;
  return { sender, date };
}

interface Building {
  offset: number;
  length: number;
  fromLine: string;
  hash: Hash | null;
  size: number;
  /** Length of the last line when it is blank (`\n`, or `\r\n` in mboxes others wrote), else 0. */
  trailingBlank: number;
  lines: Buffer[] | null;
}

/**
 * Splits an mbox fed in chunks of any size. A message starts at a `From ` line that begins the
 * file or follows a blank line (qmail-local quotes every other `From ` line, so the blank-line
 * rule only matters for mboxes other writers made). Bytes before the first separator are not a
 * message; `preamble` counts them so a rewrite keeps them.
 */
export class MboxScanner {
  /** Bytes before the first From_ line (0 for any mbox qmail-local wrote). */
  preamble = 0;
  private offset = 0;
  private partial: Buffer[] = [];
  private prevBlank = true;
  private current: Building | null = null;
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly onMessage: (message: ScannedMessage) => void,
    private readonly options: { collect?: boolean; hash?: boolean } = {},
  ) {}

  feed(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      if (nl === -1) {
        this.partial.push(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, nl + 1);
      const line = this.partial.length ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.line(line);
      start = nl + 1;
    }
  }

  end(): void {
    if (this.partial.length) this.line(Buffer.concat(this.partial));
    this.partial = [];
    this.finish();
  }

  private line(line: Buffer): void {
    const lineOffset = this.offset;
    this.offset += line.length;
    if (this.prevBlank && startsWithFrom(line)) {
      this.finish();
      this.current = {
        offset: lineOffset,
        length: line.length,
        fromLine: line.toString('latin1').replace(/\r?\n$/, ''),
        hash: this.options.hash === false ? null : createHash('sha1').update(line),
        size: 0,
        trailingBlank: 0,
        lines: this.options.collect ? [] : null,
      };
      this.prevBlank = false;
      return;
    }
    this.prevBlank = isBlank(line);
    const m = this.current;
    if (!m) {
      this.preamble += line.length;
      return;
    }
    m.length += line.length;
    m.hash?.update(line);
    const quoted = isQuotedFrom(line);
    m.size += line.length - (quoted ? 1 : 0);
    m.trailingBlank = this.prevBlank ? line.length : 0;
    m.lines?.push(quoted ? line.subarray(1) : line);
  }

  private finish(): void {
    const m = this.current;
    if (!m) return;
    this.current = null;
    // The blank line qmail-local added after the message is the mbox's, not the message's.
    if (m.trailingBlank) {
      m.size -= m.trailingBlank;
      m.lines?.pop();
    }
    const digest = m.hash ? m.hash.digest('hex').slice(0, ID_DIGITS) : '';
    const copies = (this.seen.get(digest) ?? 0) + 1;
    this.seen.set(digest, copies);
    const { sender, date } = parseFromLine(m.fromLine);
    const message: ScannedMessage = {
      id: copies === 1 ? digest : `${digest}-${copies}`,
      offset: m.offset,
      length: m.length,
      size: m.size,
      sender,
      date,
      fromLine: m.fromLine,
    };
    if (m.lines) message.raw = Buffer.concat(m.lines);
    this.onMessage(message);
  }
}

/** Splits a whole mbox held in memory (tests, small files). */
export function scanMbox(content: Buffer, options: { collect?: boolean } = {}): ScannedMessage[] {
  const out: ScannedMessage[] = [];
  const scanner = new MboxScanner((m) => out.push(m), options);
  scanner.feed(content);
  scanner.end();
  return out;
}

/** The From_ line and mboxrd body qmail-local appends for a message (QMAIL.md §6); for tests and imports. */
export function formatMboxEntry(sender: string, date: Date, message: Buffer | string): Buffer {
  const body = Buffer.isBuffer(message) ? message : Buffer.from(message);
  const lines: Buffer[] = [Buffer.from(`From ${sender === '' ? 'MAILER-DAEMON' : sender.replace(/[ \t\n]/g, '-')} ${asctime(date)}\n`)];
  let start = 0;
  while (start < body.length) {
    const nl = body.indexOf(NL, start);
    const end = nl === -1 ? body.length : nl + 1;
    const line = body.subarray(start, end);
    let i = 0;
    while (i < line.length && line[i] === 0x3e) i++;
    if (startsWithFrom(line, i)) lines.push(Buffer.from('>'));
    lines.push(line);
    if (nl === -1) lines.push(Buffer.from('\n'));
    start = end;
  }
  lines.push(Buffer.from('\n'));
  return Buffer.concat(lines);
}

/** qmail's myctime(): `Thu Jan  1 00:00:00 1970`, UTC. */
export function asctime(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${p2(
    date.getUTCHours(),
  )}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}
