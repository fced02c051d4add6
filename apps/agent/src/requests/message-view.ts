import { open } from 'node:fs/promises';
import { BODY_PREVIEW_BYTES, type ChunkResult, type ParsedMessageView } from '@qfleet/protocol';
import { parseMessage, readAttachment, type ParsedMessage } from '@qfleet/qmail';
import { RequestFailure } from './context';

/** A body cut at `max` UTF-8 bytes, never inside a character. */
export function cutUtf8(text: string, max: number): { text: string; cut: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return { text, cut: false };
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), cut: true };
}

/** libs/qmail's ParsedMessage as the protocol carries it: bodies cut at BODY_PREVIEW_BYTES, the rest read in chunks. */
export function toView(parsed: ParsedMessage, size: number, maxBody = BODY_PREVIEW_BYTES): ParsedMessageView {
  const text = parsed.text ? cutUtf8(parsed.text, maxBody) : null;
  const html = parsed.html ? cutUtf8(parsed.html, maxBody) : null;
  return {
    headers: parsed.headers,
    from: parsed.from || null,
    to: parsed.to || null,
    cc: parsed.cc || null,
    subject: parsed.subject || null,
    date: parsed.date ? parsed.date.toISOString() : null,
    text: text ? text.text : null,
    html: html ? html.text : null,
    attachments: parsed.attachments.map((a) => ({ index: a.index, filename: a.filename, contentType: a.contentType, size: a.size })),
    size,
    truncated: Boolean(text?.cut || html?.cut),
  };
}

export async function parseView(raw: Buffer): Promise<ParsedMessageView> {
  return toView(await parseMessage(raw), raw.length);
}

/** The header block of a message (up to and including the first empty line): enough for from/to/subject/date. */
export function headerBlock(raw: Buffer): Buffer {
  const lf = raw.indexOf('\n\n');
  const crlf = raw.indexOf('\r\n\r\n');
  const ends = [lf === -1 ? -1 : lf + 2, crlf === -1 ? -1 : crlf + 4].filter((n) => n >= 0);
  return ends.length ? raw.subarray(0, Math.min(...ends)) : raw;
}

function slice(data: Buffer, offset: number, length: number, contentType: string, filename: string | null): ChunkResult {
  if (offset > data.length) throw new RequestFailure('invalid', `offset: ${offset} is past the end (${data.length} bytes)`);
  const part = data.subarray(offset, offset + length);
  return { data: part.toString('base64'), offset, total: data.length, eof: offset + part.length >= data.length, contentType, filename };
}

/** One chunk of a message already in memory: its raw bytes, or attachment `part` decoded. */
export async function chunkOf(raw: Buffer, part: 'raw' | number, offset: number, length: number): Promise<ChunkResult> {
  if (part === 'raw') return slice(raw, offset, length, 'message/rfc822', null);
  const attachment = await readAttachment(raw, part);
  if (!attachment) throw new RequestFailure('not_found', `part: the message has no attachment ${part}`);
  return slice(attachment.content, offset, length, attachment.contentType, attachment.filename);
}

/** One chunk of a file's bytes, read at `offset` without loading the rest (a queued message can be large). */
export async function fileChunk(file: string, offset: number, length: number): Promise<ChunkResult> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (offset > size) throw new RequestFailure('invalid', `offset: ${offset} is past the end (${size} bytes)`);
    const buf = Buffer.alloc(Math.min(length, size - offset));
    const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
    return {
      data: buf.subarray(0, bytesRead).toString('base64'),
      offset,
      total: size,
      eof: offset + bytesRead >= size,
      contentType: 'message/rfc822',
      filename: null,
    };
  } finally {
    await handle.close();
  }
}
