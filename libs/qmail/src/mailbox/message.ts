import type { AddressObject, ParsedMail } from 'mailparser';

// mailparser and what it pulls in (iconv-lite, encoding-japanese, libmime, html-to-text...) is
// some 20 MB of a resident agent; only reading a message parses one, so it loads on first use.
let mailparser: typeof import('mailparser') | undefined;
function simpleParser(input: Buffer, options: import('mailparser').SimpleParserOptions): Promise<ParsedMail> {
  mailparser ??= require('mailparser') as typeof import('mailparser');
  return mailparser.simpleParser(input, options);
}

/** A message as the mail reader shows it. Parsing only: no file access. */
export interface ParsedMessage {
  /** Every header in order, as `[name, value]`: the name as written, the value unfolded and undecoded. */
  headers: Array<[string, string]>;
  /** Decoded address lists as display text (`"Ann" <ann@example.com>, bob@example.com`); `''` when absent. */
  from: string;
  to: string;
  cc: string;
  /** Decoded subject; `''` when absent. */
  subject: string;
  /** The Date header; null when absent or unreadable. */
  date: Date | null;
  /** The plain-text body (mailparser derives it from the HTML part when there is no text part). */
  text: string;
  html: string | null;
  attachments: AttachmentInfo[];
}

export interface AttachmentInfo {
  /** Position in the message's attachment list; `readAttachment(raw, index)` returns the content. */
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  contentId?: string;
}

const PARSER_OPTIONS = { skipImageLinks: true, skipTextToHtml: true } as const;

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

/** `Subject: a\r\n b` → `['Subject', 'a b']`: unfolded (RFC 5322 §2.2.3), not decoded. */
export function splitHeaderLine(line: string): [string, string] {
  const unfolded = line.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '');
  const colon = unfolded.indexOf(':');
  if (colon === -1) return [unfolded.trim(), ''];
  return [unfolded.slice(0, colon).trim(), unfolded.slice(colon + 1).replace(/^[ \t]+/, '')];
}

function toParsed(mail: ParsedMail): ParsedMessage {
  return {
    headers: mail.headerLines.map((h) => splitHeaderLine(h.line)),
    from: addressText(mail.from),
    to: addressText(mail.to),
    cc: addressText(mail.cc),
    subject: mail.subject ?? '',
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null,
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : null,
    attachments: mail.attachments.map((a, index) => ({
      index,
      filename: a.filename ?? null,
      contentType: a.contentType,
      size: a.size,
      ...(a.contentId ? { contentId: a.contentId } : {}),
    })),
  };
}

/** Parses a raw message (a Maildir file, or an mbox message as `readMboxMessage` returns it). */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  return toParsed(await simpleParser(raw, PARSER_OPTIONS));
}

/** One attachment's content, by its `index` in `ParsedMessage.attachments`; null when there is none. */
export async function readAttachment(
  raw: Buffer,
  index: number,
): Promise<{ filename: string | null; contentType: string; content: Buffer } | null> {
  const a = (await simpleParser(raw, PARSER_OPTIONS)).attachments[index];
  return a ? { filename: a.filename ?? null, contentType: a.contentType, content: a.content } : null;
}
