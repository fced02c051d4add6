import { z } from 'zod';
import { nonEmptyLine, qmailInteger, qmailLine } from './values';
import { MAX_ALIAS_DESTINATIONS, MAX_LIST_ENTRIES } from './limits';
import {
  ASSIGNMENT_KINDS,
  AUTOREPLY_DEFAULT_PERIOD_SEC,
  FILTER_ACTIONS,
  FILTER_FIELDS,
  INTEGER_FIELDS,
  LIST_FIELDS,
  SINGLE_LINE_FIELDS,
  type IntegerField,
  type ListField,
  type SingleLineField,
} from './document-fields';

/**
 * The desired-state document of a host or group (DESIGN.md "The desired state" and
 * "Contract"). A field that is absent is not managed; `null` means managed and removed
 * (qmail's default applies); `[]` means an empty file.
 */

export * from './document-fields';

const managedLine = nonEmptyLine.nullable().optional();
const managedInteger = qmailInteger.nullable().optional();
const managedList = z.array(nonEmptyLine).max(MAX_LIST_ENTRIES).nullable().optional();

export const VirtualDomainSchema = z.strictObject({
  /** a domain, `user@domain`, or "" for all other addresses */
  match: qmailLine,
  /** "" means "not virtual" (QMAIL.md §1, virtualdomains) */
  prefix: qmailLine,
});

export const SmtpRouteSchema = z.strictObject({
  /** "" is the default route for all other mail */
  domain: qmailLine,
  /** "" delivers directly (MX lookup) */
  relay: qmailLine,
  port: z.number().int().min(1).max(65535).optional(),
});

/** Text that may span lines (an autoreply body), but never holds a NUL. */
const multiLineText = z.string().max(64 * 1024).refine((v) => !v.includes('\0'), 'must not contain NUL');

/**
 * The reply that `qfleet-autoreply` sends (the agent's delivery program). Loop-safe by
 * design: it never answers bulk, list, auto-submitted or MAILER-DAEMON mail, and answers
 * one sender at most once per `periodSec` (Webmin's Reply-Period, default 3600 s).
 */
export const AutoreplySchema = z.strictObject({
  subject: nonEmptyLine,
  body: multiLineText,
  from: nonEmptyLine.optional(),
  periodSec: z.number().int().min(0).max(365 * 86400).default(AUTOREPLY_DEFAULT_PERIOD_SEC),
});

/** Where a filtered message goes: `deliver` hands it on to the alias's next lines. */
export const FilterTargetSchema = z.strictObject({
  action: z.enum(FILTER_ACTIONS),
  /** forward: an address; maildir: a path ending in /; mbox: a path */
  to: nonEmptyLine.optional(),
});

export const FilterRuleSchema = z.strictObject({
  field: z.enum(FILTER_FIELDS),
  /** for field `header`: the header's name */
  header: nonEmptyLine.optional(),
  /** literal, case-insensitive */
  contains: nonEmptyLine,
  /** true: the rule matches when the text does NOT contain it */
  negate: z.boolean().optional(),
  ...FilterTargetSchema.shape,
});

/** Rules tried in order; the first that matches routes the message; otherwise `otherwise`. */
export const FilterSchema = z.strictObject({
  rules: z.array(FilterRuleSchema).min(1).max(200),
  otherwise: FilterTargetSchema.default({ action: 'deliver' }),
});

/**
 * One line of an alias's `.qmail` file (QMAIL.md §3): forward (`&addr`), Maildir (path
 * ending in /), mbox (path), program (`|cmd`), autoreply and filter (qfleet's delivery
 * programs), or discard (`#` alone).
 */
export const AliasDestinationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('forward'), value: nonEmptyLine }),
  z.strictObject({ kind: z.literal('maildir'), value: nonEmptyLine }),
  z.strictObject({ kind: z.literal('mbox'), value: nonEmptyLine }),
  z.strictObject({ kind: z.literal('program'), value: nonEmptyLine }),
  z.strictObject({ kind: z.literal('autoreply'), autoreply: AutoreplySchema }),
  z.strictObject({ kind: z.literal('filter'), filter: FilterSchema }),
  z.strictObject({ kind: z.literal('discard') }),
]);

export const AliasSchema = z.strictObject({
  name: nonEmptyLine,
  domain: nonEmptyLine.optional(),
  destinations: z.array(AliasDestinationSchema).min(1, 'an alias needs at least one destination').max(MAX_ALIAS_DESTINATIONS),
});

export const AssignmentSchema = z.strictObject({
  kind: z.enum(ASSIGNMENT_KINDS),
  address: qmailLine,
  user: nonEmptyLine,
  uid: qmailInteger,
  gid: qmailInteger,
  home: nonEmptyLine,
  dash: qmailLine.optional(),
  ext: qmailLine.optional(),
});

const shape = {
  ...Object.fromEntries(SINGLE_LINE_FIELDS.map((f) => [f, managedLine])),
  ...Object.fromEntries(INTEGER_FIELDS.map((f) => [f, managedInteger])),
  ...Object.fromEntries(LIST_FIELDS.map((f) => [f, managedList])),
} as Record<SingleLineField, typeof managedLine> & Record<IntegerField, typeof managedInteger> & Record<ListField, typeof managedList>;

export const HostDocumentSchema = z.strictObject({
  ...shape,
  virtualdomains: z.array(VirtualDomainSchema).max(MAX_LIST_ENTRIES).nullable().optional(),
  smtproutes: z.array(SmtpRouteSchema).max(MAX_LIST_ENTRIES).nullable().optional(),
  aliases: z.array(AliasSchema).max(MAX_LIST_ENTRIES).nullable().optional(),
  assignments: z.array(AssignmentSchema).max(MAX_LIST_ENTRIES).nullable().optional(),
  /** Removing rcpthosts makes an open relay: allowed only when this says so (Contract). */
  openRelay: z.boolean().optional(),
});

export type HostDocument = z.infer<typeof HostDocumentSchema>;
export type VirtualDomain = z.infer<typeof VirtualDomainSchema>;
export type SmtpRoute = z.infer<typeof SmtpRouteSchema>;
export type Alias = z.infer<typeof AliasSchema>;
export type AliasDestination = z.infer<typeof AliasDestinationSchema>;
export type Autoreply = z.infer<typeof AutoreplySchema>;
export type Filter = z.infer<typeof FilterSchema>;
export type FilterRule = z.infer<typeof FilterRuleSchema>;
export type Assignment = z.infer<typeof AssignmentSchema>;
