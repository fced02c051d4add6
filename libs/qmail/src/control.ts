import { issuePath, qmailLine } from '@qfleet/protocol';
import { fieldSpec } from './fields';

/**
 * Control files as qmail reads and as qfleet writes them (QMAIL.md §0, after `control.c`).
 * Parsers are faithful to qmail, quirks included, so that what they return is what qmail
 * would use; renderers write the Contract's byte-exact form (DESIGN.md "Contract").
 */

/** A value that qmail would misread, so it is refused rather than written. */
export class UnrenderableValue extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'UnrenderableValue';
  }
}

/**
 * control.c strips only space, tab and newline; a CR stays part of the value, so a CRLF file
 * does not mean what it seems to (QMAIL.md §0).
 */
function stripTrailingWhitespace(line: string): string {
  return line.replace(/[ \t\n]+$/, '');
}

/**
 * ASCII only: constmap compares case-insensitively byte by byte (QMAIL.md §0), so
 * String.prototype.toLowerCase would change bytes that qmail treats as distinct.
 */
export function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** First line, trailing blanks stripped, leading kept; an empty file reads as "". */
export function parseLine(content: string): string {
  const nl = content.indexOf('\n');
  return stripTrailingWhitespace(nl === -1 ? content : content.slice(0, nl));
}

/**
 * `scan_ulong` of the first line: the leading decimal digits, the rest ignored. No leading
 * digit (" 20", "abc", an empty file) and qmail silently treats the file as missing.
 */
export function parseInteger(content: string): number | undefined {
  const digits = /^[0-9]+/.exec(parseLine(content));
  return digits ? Number(digits[0]) : undefined;
}

/** One entry per line; `#` lines and lines blank after stripping are skipped (QMAIL.md §0). */
export function parseList(content: string): string[] {
  const entries: string[] = [];
  for (const raw of content.split('\n')) {
    const line = stripTrailingWhitespace(raw);
    if (line === '' || line.startsWith('#')) continue;
    entries.push(line);
  }
  return entries;
}

function checkLine(value: string, path: string): void {
  // The protocol's rule for one line, so renderer and schema cannot disagree (Contract).
  const r = qmailLine.safeParse(value);
  if (!r.success) throw new UnrenderableValue(path, r.error.issues[0]?.message ?? 'is not one line');
}

export function renderLine(value: string, field = 'value'): string {
  checkLine(value, field);
  if (value === '') throw new UnrenderableValue(field, 'must not be empty');
  return `${value}\n`;
}

export function renderInteger(value: number, field = 'value'): string {
  // control_readint reads unsigned decimal digits only (QMAIL.md §0).
  if (!Number.isSafeInteger(value) || value < 0) throw new UnrenderableValue(field, 'must be a whole number, 0 or more');
  return `${value}\n`;
}

/**
 * Entries lowercased and deduplicated, first kept, in the given order (Contract). qmail
 * matches every list case-insensitively (QMAIL.md §0), so `A.example` and `a.example` are one
 * entry to it and writing both would only hide the duplicate. `[]` is an empty file.
 */
export function renderList(entries: readonly string[], field = 'list'): string {
  const seen = new Set<string>();
  let out = '';
  entries.forEach((entry, i) => {
    const path = issuePath([field, i]);
    checkLine(entry, path);
    // Either would be skipped by control_readfile and silently vanish (QMAIL.md §0).
    if (entry === '') throw new UnrenderableValue(path, 'must not be empty');
    if (entry.startsWith('#')) throw new UnrenderableValue(path, "must not begin with '#', which qmail reads as a comment");
    const key = lowerAscii(entry);
    if (seen.has(key)) return;
    seen.add(key);
    out += `${key}\n`;
  });
  return out;
}

/**
 * What qmail makes of a field's file content. `undefined` means qmail treats the file as
 * missing (an integer file that does not begin with a digit).
 */
export function parseControlFile(field: string, content: string): string | number | string[] | undefined {
  switch (fieldSpec(field).kind) {
    case 'line':
      return parseLine(content);
    case 'integer':
      return parseInteger(content);
    case 'list':
      return parseList(content);
  }
}

/** The bytes qfleet writes for a field's value. */
export function renderControlFile(field: string, value: string | number | readonly string[]): string {
  const kind = fieldSpec(field).kind;
  if (kind === 'line' && typeof value === 'string') return renderLine(value, field);
  if (kind === 'integer' && typeof value === 'number') return renderInteger(value, field);
  if (kind === 'list' && Array.isArray(value)) return renderList(value, field);
  throw new UnrenderableValue(field, `must be ${kind === 'line' ? 'a string' : kind === 'integer' ? 'a number' : 'a list'}`);
}
