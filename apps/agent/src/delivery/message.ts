import type { Readable } from 'node:stream';
import type { AddressObject, ParsedMail } from 'mailparser';

// mailparser and what it pulls in (iconv-lite, encoding-japanese, libmime, html-to-text...) is
// some 20 MB of a resident agent; only reading a message parses one, so it loads on first use.
let mailparser: typeof import('mailparser') | undefined;
function simpleParser(input: Buffer, options: import('mailparser').SimpleParserOptions): Promise<ParsedMail> {
  mailparser ??= require('mailparser') as typeof import('mailparser');
  return mailparser.simpleParser(input, options);
}

/**
 * qmail-local hands a `|` command the message on stdin (QMAIL.md §3). We keep all of it: a
 * filter may have to store or forward it unchanged.
 */
export async function readMessage(stdin: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Body text beyond this is not searched: a rule on a 30 MB attachment is not worth the time. */
export const BODY_SCAN_LIMIT = 1024 * 1024;

/** Where the header ends: the first empty line (LF or CRLF), or the end of the message. */
export function headerEnd(message: Buffer): number {
  const lf = message.indexOf('\n\n');
  const crlf = message.indexOf('\r\n\r\n');
  const ends = [lf < 0 ? -1 : lf + 2, crlf < 0 ? -1 : crlf + 4].filter((i) => i >= 0);
  return ends.length ? Math.min(...ends) : message.length;
}

/**
 * Parses the header (decoded, RFC 2047 words included) and, when asked, the first
 * BODY_SCAN_LIMIT bytes of the body, so that a huge message costs no more than a small one.
 */
export function parseMessage(message: Buffer, options: { body: boolean }): Promise<ParsedMail> {
  const end = headerEnd(message);
  const slice = options.body ? message.subarray(0, end + BODY_SCAN_LIMIT) : Buffer.concat([message.subarray(0, end), Buffer.from('\n')]);
  return simpleParser(slice, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
}

/** The raw values of every occurrence of a header, folding undone (RFC 5322 §2.2.3). */
export function rawHeaderValues(mail: ParsedMail, name: string): string[] {
  const key = name.toLowerCase();
  return mail.headerLines
    .filter((h) => h.key === key)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim());
}

/** An address header as readable text; a message may repeat `To`/`Cc`, so all of them. */
export function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}
