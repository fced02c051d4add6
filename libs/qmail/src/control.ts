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
  return stripTrailing(line, ' \t\n');
}

/**
 * `line` without the trailing characters of `blanks`. A loop, not `/[ \t]+$/`: that regular
 * expression retries every run of blanks to the end of the line, so a 100 KB line of blanks
 * before one letter took 75 s (quadratic), and these files come from the host being managed.
 */
export function stripTrailing(line: string, blanks: string): string {
  let end = line.length;
  while (end > 0 && blanks.includes(line[end - 1] as string)) end--;
  return line.slice(0, end);
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

/** A line that a parser dropped or could not represent, 1-based, for import notes. */
export interface LineNote {
  line: number;
  message: string;
}

/**
 * What a parser of a multi-entry file found: `entries` as qmail uses them; `dropped` are
 * lines qmail ignores (or that can never match), safe to lose; `refused` are lines whose
 * meaning the document cannot express, so the file must not be taken over as it is.
 */
export interface ParseResult<T> {
  entries: T[];
  dropped: LineNote[];
  refused: LineNote[];
}

/**
 * control_readfile's view of a file (QMAIL.md §0): trailing blanks stripped, `#` and blank
 * lines skipped (reported in `skipped`), leading whitespace kept. Lists and colon maps use it.
 */
export function controlLines(content: string): { lines: { line: number; text: string }[]; skipped: LineNote[] } {
  const lines: { line: number; text: string }[] = [];
  const skipped: LineNote[] = [];
  const raw = content.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  raw.forEach((r, i) => {
    const text = stripTrailingWhitespace(r);
    if (text === '') skipped.push({ line: i + 1, message: 'blank line skipped' });
    else if (text.startsWith('#')) skipped.push({ line: i + 1, message: 'comment dropped' });
    else lines.push({ line: i + 1, text });
  });
  return { lines, skipped };
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

export interface ColonMapEntry {
  line: number;
  /** lowercased: constmap compares keys case-insensitively (QMAIL.md §0) */
  key: string;
  value: string;
}

/**
 * A colon map as constmap reads it (QMAIL.md §0, virtualdomains and smtproutes): the key is
 * everything before the first `:`, lines without one are ignored, and constmap inserts at the
 * head of its chains, so of two equal keys the later line wins. Each key appears once, at the
 * place of the line that wins.
 */
export function parseColonMap(content: string): ParseResult<ColonMapEntry> {
  const { lines, skipped } = controlLines(content);
  const dropped: LineNote[] = [...skipped];
  const byKey = new Map<string, ColonMapEntry>();
  for (const { line, text } of lines) {
    const colon = text.indexOf(':');
    if (colon === -1) {
      dropped.push({ line, message: "no ':', so qmail ignores the line" });
      continue;
    }
    const key = lowerAscii(text.slice(0, colon));
    const earlier = byKey.get(key);
    if (earlier) {
      dropped.push({ line: earlier.line, message: `overridden by line ${line}, which has the same key` });
      byKey.delete(key);
    }
    byKey.set(key, { line, key, value: text.slice(colon + 1) });
  }
  dropped.sort((a, b) => a.line - b.line);
  return { entries: [...byKey.values()], dropped, refused: [] };
}
