/**
 * Mailbox statistics without reading message bodies (issue 14; QMAIL.md §6). Pure: the agent's
 * scanner does the file access and hands names, file contents and chunks to these.
 */

/** `1700000000.M1P2.host,S=1234:2,S` → 1234: Maildir++ writes the size into the name, sparing a stat. */
export function maildirNameSize(name: string): number | null {
  const info = name.indexOf(':');
  const unique = info === -1 ? name : name.slice(0, info);
  const m = /,S=(\d+)(?:,|$)/.exec(unique);
  return m ? Number(m[1]) : null;
}

/**
 * `1700000000.123.host` → 1700000000000: qmail-local (and every Maildir writer after it) starts
 * the unique name with the delivery time in seconds, the same time as the file's mtime.
 */
export function maildirNameTime(name: string): number | null {
  const m = /^(\d{9,11})\./.exec(name);
  return m ? Number(m[1]) * 1000 : null;
}

export interface MaildirQuota {
  /** null: no byte limit in the quota definition */
  quotaBytes: number | null;
  /** null: no message limit */
  quotaMessages: number | null;
  usedBytes: number;
  usedMessages: number;
}

/**
 * Maildir++ `maildirsize`: the first line is the quota (`10000000S,1000C`), each further line
 * `<bytes> <messages>`, a delivery or a removal (negative); their sum is the use. Null when the
 * first line sets no limit (an empty or garbled file: no quota is enforced by it either).
 */
export function parseMaildirsize(text: string): MaildirQuota | null {
  const lines = text.split('\n');
  let quotaBytes: number | null = null;
  let quotaMessages: number | null = null;
  for (const part of (lines[0] ?? '').split(',')) {
    const m = /^\s*(\d+)([SC])\s*$/.exec(part);
    if (!m) continue;
    if (m[2] === 'S') quotaBytes = Number(m[1]);
    else quotaMessages = Number(m[1]);
  }
  if (quotaBytes === null && quotaMessages === null) return null;
  let usedBytes = 0;
  let usedMessages = 0;
  for (const line of lines.slice(1)) {
    const m = /^\s*(-?\d+)\s+(-?\d+)\s*$/.exec(line);
    if (!m) continue;
    usedBytes += Number(m[1]);
    usedMessages += Number(m[2]);
  }
  return { quotaBytes, quotaMessages, usedBytes, usedMessages };
}

export interface MboxFigures {
  messages: number;
  unread: number;
  /** ms since the epoch, from the From_ lines; null without a dated message */
  newest: number | null;
  oldest: number | null;
}

const NL = 0x0a;
const FROM = Buffer.from('From ');
const NL_FROM = Buffer.from('\nFrom ');
/** A From_ line or a header line longer than this is not kept whole (its end is still found). */
const MAX_KEPT_LINE = 64 * 1024;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function fromLineTime(line: string): number | null {
  const m = /(\w{3}) +(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?: +[A-Z]{2,5})? +(\d{4})\s*$/.exec(line);
  const month = m ? MONTHS.indexOf(m[1]) : -1;
  return m && month >= 0 ? Date.UTC(+m[6], month, +m[2], +m[3], +m[4], +m[5]) : null;
}

/**
 * Counts an mbox fed in chunks, reading only the From_ line and the header block of each
 * message. Every line starting `From ` begins a message, as `grep -c '^From '` counts them:
 * qmail-local writes mboxrd, quoting any other such line as `>From ` (QMAIL.md §6). In a body it
 * only searches for the next `\nFrom `, so bodies cost a memchr, not a parse. A message is unread
 * unless its headers hold `Status:` with `R` (mutt, pine and Webmin write `Status: RO`).
 */
export class MboxStatsCounter {
  readonly figures: MboxFigures = { messages: 0, unread: 0, newest: null, oldest: null };
  /** a line start whose line did not end in the last chunk */
  private carry: Buffer | null = null;
  /** inside a body line that started in an earlier chunk */
  private midLine = false;
  /** a line too long to keep, in headers or a From_ line: skipped to its end */
  private skipping = false;
  private inHeaders = false;
  private read = false;

  feed(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let pos = 0;
    if (this.midLine || this.skipping) {
      const nl = buf.indexOf(NL);
      if (nl === -1) return;
      pos = nl + 1;
      this.midLine = this.skipping = false;
    }
    while (pos < buf.length) {
      // pos is at the start of a line
      const fromHere = buf.length - pos >= FROM.length ? buf.compare(FROM, 0, FROM.length, pos, pos + FROM.length) === 0 : null;
      if (fromHere === null && buf.indexOf(NL, pos) === -1) {
        this.carry = buf.subarray(pos); // too short to tell whether it is a From_ line
        return;
      }
      if (this.inHeaders || fromHere) {
        const nl = buf.indexOf(NL, pos);
        if (nl === -1) {
          if (buf.length - pos > MAX_KEPT_LINE) {
            if (fromHere) this.startMessage(null);
            this.skipping = true;
          } else this.carry = buf.subarray(pos);
          return;
        }
        const line = buf.subarray(pos, nl);
        if (fromHere) this.startMessage(line.toString('latin1'));
        else this.headerLine(line);
        pos = nl + 1;
        continue;
      }
      const next = buf.indexOf(NL_FROM, pos);
      if (next !== -1) {
        pos = next + 1;
        continue;
      }
      // No separator in the rest: keep the last line's start if it may begin one.
      const last = buf.lastIndexOf(NL);
      if (last < pos) {
        this.midLine = true;
        return;
      }
      const tail = buf.subarray(last + 1);
      if (tail.length < FROM.length) this.carry = Buffer.from(tail);
      else this.midLine = true; // not "From " (the search would have found "\nFrom ")
      return;
    }
  }

  /** The end of the file: a message whose headers never ended still counts. */
  end(): MboxFigures {
    const last = this.carry;
    if (last && last.length >= FROM.length && last.subarray(0, FROM.length).equals(FROM)) this.startMessage(last.toString('latin1'));
    else if (last && this.inHeaders) this.headerLine(last);
    this.carry = null;
    this.finishHeaders();
    return this.figures;
  }

  private startMessage(fromLine: string | null): void {
    this.finishHeaders();
    const f = this.figures;
    f.messages++;
    const t = fromLine ? fromLineTime(fromLine) : null;
    if (t !== null) {
      if (f.newest === null || t > f.newest) f.newest = t;
      if (f.oldest === null || t < f.oldest) f.oldest = t;
    }
    this.inHeaders = true;
    this.read = false;
  }

  private headerLine(line: Buffer): void {
    if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) return this.finishHeaders();
    // "Status:" case-insensitively: S/s then "tatus:"
    if (line.length > 7 && (line[0] | 0x20) === 0x73 && line.subarray(1, 7).toString('latin1').toLowerCase() === 'tatus:') {
      if (line.subarray(7).includes('R')) this.read = true;
    }
  }

  private finishHeaders(): void {
    if (!this.inHeaders) return;
    this.inHeaders = false;
    if (!this.read) this.figures.unread++;
  }
}
