import { z } from 'zod';
import { MAX_HEADER_NAME_LENGTH, MAX_SEARCH_CRITERIA, MAX_SEARCH_TEXT_LENGTH } from '@qfleet/protocol';
import type { ParsedMessage } from './message';

/**
 * Message search as Webmin's Read User Mail module does it (QMAIL.md §7): rows of field ×
 * contains/doesn't contain × text, joined with AND or OR; matching is literal and case-insensitive.
 * Pure: works on messages already read and parsed.
 */

const TEXT_FIELDS = ['from', 'subject', 'to', 'cc', 'date', 'body', 'header', 'message'] as const;

export const MailSearchCriterionSchema = z
  .object({
    field: z.enum([...TEXT_FIELDS, 'size']),
    /** For `header`: only this header (any case); without it, any header. */
    headerName: z.string().min(1).max(MAX_HEADER_NAME_LENGTH).optional(),
    op: z.enum(['contains', 'notContains', 'greaterThan', 'lessThan']),
    // Literal text, never a pattern: matching is one substring search per message (issue 10).
    value: z.union([z.string().max(MAX_SEARCH_TEXT_LENGTH), z.number()]),
  })
  .superRefine((c, ctx) => {
    const ordered = c.op === 'greaterThan' || c.op === 'lessThan';
    if (c.field === 'size') {
      if (!ordered) ctx.addIssue({ code: 'custom', path: ['op'], message: 'size is compared with greaterThan or lessThan' });
      if (!Number.isFinite(Number(c.value)) || String(c.value).trim() === '') {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'size must be a number of bytes' });
      }
    } else if (c.field === 'date' && ordered) {
      if (Number.isNaN(Date.parse(String(c.value)))) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be a date' });
      }
    } else if (ordered) {
      ctx.addIssue({ code: 'custom', path: ['op'], message: `${c.field} is matched with contains or notContains` });
    }
    if (c.headerName !== undefined && c.field !== 'header') {
      ctx.addIssue({ code: 'custom', path: ['headerName'], message: 'only for field "header"' });
    }
  });

export const MailSearchQuerySchema = z.object({
  criteria: z.array(MailSearchCriterionSchema).min(1).max(MAX_SEARCH_CRITERIA),
  join: z.enum(['and', 'or']).default('and'),
});

export type MailSearchCriterion = z.infer<typeof MailSearchCriterionSchema>;
export type MailSearchQuery = z.input<typeof MailSearchQuerySchema>;

/** What a search looks at: the raw message (a Maildir file, or an unquoted mbox message) and its parse. */
export interface SearchableMessage {
  raw: Buffer;
  parsed: ParsedMessage;
}

function headerValues(m: ParsedMessage, name: string): string[] {
  const lower = name.toLowerCase();
  return m.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Decoded forms of the headers mailparser decodes, so `=?utf-8?…?=` subjects and names match too. */
function decoded(m: ParsedMessage, name: string): string[] {
  switch (name.toLowerCase()) {
    case 'from':
      return [m.from];
    case 'to':
      return [m.to];
    case 'cc':
      return [m.cc];
    case 'subject':
      return [m.subject];
    default:
      return [];
  }
}

/** The text a criterion looks in: raw header values and their decoded forms, the body, or the whole message. */
function haystack(m: SearchableMessage, c: MailSearchCriterion): string {
  const p = m.parsed;
  switch (c.field) {
    case 'from':
    case 'subject':
    case 'to':
    case 'cc':
    case 'date':
      return [...headerValues(p, c.field), ...decoded(p, c.field)].join('\n');
    case 'header':
      if (c.headerName) return [...headerValues(p, c.headerName), ...decoded(p, c.headerName)].join('\n');
      return [...p.headers.map(([n, v]) => `${n}: ${v}`), p.from, p.to, p.cc, p.subject].join('\n');
    case 'body':
      return p.text || p.html || '';
    case 'message':
      return m.raw.toString('utf8');
    default:
      return '';
  }
}

function contains(text: string, needle: string): boolean {
  return text.toLowerCase().includes(needle.toLowerCase());
}

export function matchesCriterion(m: SearchableMessage, c: MailSearchCriterion): boolean {
  if (c.field === 'size') {
    const limit = Number(c.value);
    return c.op === 'greaterThan' ? m.raw.length > limit : m.raw.length < limit;
  }
  if (c.op === 'greaterThan' || c.op === 'lessThan') {
    // Only `date` gets here (the schema refuses ordered ops on other text fields); no Date header never matches.
    const when = m.parsed.date?.getTime();
    const limit = Date.parse(String(c.value));
    if (when === undefined) return false;
    return c.op === 'greaterThan' ? when > limit : when < limit;
  }
  const found = contains(haystack(m, c), String(c.value));
  return c.op === 'contains' ? found : !found;
}

function matchesChecked(m: SearchableMessage, q: z.output<typeof MailSearchQuerySchema>): boolean {
  return q.join === 'and' ? q.criteria.every((c) => matchesCriterion(m, c)) : q.criteria.some((c) => matchesCriterion(m, c));
}

/** Whether a message matches a query. Throws ZodError for a bad query. */
export function matchesQuery(m: SearchableMessage, query: MailSearchQuery): boolean {
  return matchesChecked(m, MailSearchQuerySchema.parse(query));
}

/** The messages matching a query, in the order given (newest first, as listed). Throws ZodError for a bad query. */
export function searchMessages<T extends SearchableMessage>(messages: readonly T[], query: MailSearchQuery): T[] {
  const q = MailSearchQuerySchema.parse(query);
  return messages.filter((m) => matchesChecked(m, q));
}

/** The fields the simple search looks in, as Webmin's search box does (QMAIL.md §7). */
export const SIMPLE_SEARCH_FIELDS = ['from', 'subject', 'to'] as const;
const SIMPLE_FIELD_PREFIX = /^(from|subject|to|cc|body)\s*:\s*(\S.*)$/i;

/**
 * The simple search box (Webmin's Read User Mail, QMAIL.md §7): the text, literal and
 * case-insensitive, found in From, Subject or To; `field: text` (from, subject, to, cc, body)
 * looks in that field only. Whatever the text, this is a valid query.
 */
export function simpleSearchQuery(text: string): MailSearchQuery {
  const trimmed = text.trim();
  const one = SIMPLE_FIELD_PREFIX.exec(trimmed);
  if (one) return { criteria: [{ field: one[1]!.toLowerCase() as MailSearchCriterion['field'], op: 'contains', value: one[2]! }], join: 'and' };
  return { criteria: SIMPLE_SEARCH_FIELDS.map((field) => ({ field, op: 'contains' as const, value: trimmed })), join: 'or' };
}

export interface Page<T> {
  items: T[];
  /** 1-based, clamped to the pages there are. */
  page: number;
  perPage: number;
  pages: number;
  total: number;
}

/** One page of a list; Webmin shows 20 messages a page (its `perpage` default). */
export function pageOf<T>(list: readonly T[], page: number, perPage = 20): Page<T> {
  const size = Math.max(1, Math.floor(perPage));
  const pages = Math.max(1, Math.ceil(list.length / size));
  const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { items: list.slice((current - 1) * size, current * size), page: current, perPage: size, pages, total: list.length };
}
