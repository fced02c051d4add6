import { z } from 'zod';
import { MAX_FILE_NAME_LENGTH, MAX_LINE_LENGTH, MAX_RELATIVE_PATH_LENGTH } from './limits';

/**
 * A value that qmail reads as one line. qmail strips trailing whitespace and keeps leading
 * whitespace, and a CR, LF or NUL would split or end the value (QMAIL.md §0), so the
 * Contract refuses all of them rather than let qmail misread what we meant.
 */
export const qmailLine = z.string().max(MAX_LINE_LENGTH, `must be at most ${MAX_LINE_LENGTH} characters`).superRefine((v, ctx) => {
  if (/[\r\n\0]/.test(v)) ctx.addIssue({ code: 'custom', message: 'must not contain a newline, carriage return or NUL' });
  else if (v !== v.trim()) ctx.addIssue({ code: 'custom', message: 'must not begin or end with whitespace' });
});

export const nonEmptyLine = qmailLine.refine((v) => v.length > 0, 'must not be empty');

/** Integers as scan_ulong reads them: unsigned decimal. */
export const qmailInteger = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(4_294_967_295, 'is too large');

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');

/** A path relative to the qmail home, as the agent's managed namespace understands it. */
export const relativePath = z
  .string()
  .min(1)
  .max(MAX_RELATIVE_PATH_LENGTH)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), 'must be a relative path inside the qmail home')
  .refine((p) => p.split('/').every((name) => name.length <= MAX_FILE_NAME_LENGTH), `each name in the path must be at most ${MAX_FILE_NAME_LENGTH} characters`);
