/**
 * The document's field names and what qmail does with each control file, as plain constants:
 * imports nothing, so the dashboard's forms take them through `@qfleet/protocol/ui` without
 * zod, and the schema in document.ts builds on the same lists (one source for both).
 * The texts follow docs/document.md, which says the same per field.
 */

export const SINGLE_LINE_FIELDS = [
  'me',
  'helohost',
  'smtpgreeting',
  'localiphost',
  'defaultdomain',
  'defaulthost',
  'plusdomain',
  'idhost',
  'bouncefrom',
  'bouncehost',
  'doublebouncehost',
  'doublebounceto',
  'envnoathost',
] as const;

export const INTEGER_FIELDS = [
  'databytes',
  'timeoutconnect',
  'timeoutremote',
  'timeoutsmtpd',
  'concurrencylocal',
  'concurrencyremote',
  'queuelifetime',
] as const;

export const LIST_FIELDS = ['locals', 'rcpthosts', 'morercpthosts', 'badmailfrom', 'percenthack'] as const;

export type SingleLineField = (typeof SINGLE_LINE_FIELDS)[number];
export type IntegerField = (typeof INTEGER_FIELDS)[number];
export type ListField = (typeof LIST_FIELDS)[number];
/** The document fields that are one control file each. */
export type ControlFileField = SingleLineField | IntegerField | ListField;

export const DESTINATION_KINDS = ['forward', 'maildir', 'mbox', 'program', 'autoreply', 'filter', 'discard'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

export const FILTER_FIELDS = ['from', 'to', 'cc', 'subject', 'header', 'body'] as const;
export const FILTER_ACTIONS = ['forward', 'maildir', 'mbox', 'discard', 'deliver'] as const;
export const ASSIGNMENT_KINDS = ['exact', 'prefix'] as const;

/** Webmin's Reply-Period: an autoreply answers one sender at most once in this many seconds. */
export const AUTOREPLY_DEFAULT_PERIOD_SEC = 3600;

/** What qmail uses when an integer control file is missing (qmail 1.03's compiled-in values). */
export const QMAIL_INTEGER_DEFAULTS: Readonly<Record<IntegerField, number>> = {
  databytes: 0,
  timeoutconnect: 60,
  timeoutremote: 1200,
  timeoutsmtpd: 1200,
  concurrencylocal: 10,
  concurrencyremote: 20,
  queuelifetime: 604800,
};

export interface ControlFileInfo {
  /** relative to the qmail home */
  file: string;
  /** what the file is, in a few words */
  what: string;
  /** what qmail does when the file is missing (its default) */
  whenMissing: string;
  /** what qmail needs before it sees a change */
  takesEffect: string;
}

const info = (field: ControlFileField, what: string, whenMissing: string, takesEffect: string): ControlFileInfo => ({ file: `control/${field}`, what, whenMissing, takesEffect });

/** Every control file of the document with qmail's default (docs/document.md, QMAIL.md §1). */
export const CONTROL_FILES: Readonly<Record<ControlFileField, ControlFileInfo>> = {
  me: info('me', "this host's fully qualified name; the default of most other files", 'no default; the files that fall back to it use theirs', 'restart of qmail-send'),
  helohost: info('helohost', 'the name given in HELO to other servers', 'me; without either, deliveries fail temporarily', 'next delivery'),
  smtpgreeting: info('smtpgreeting', 'the text after 220 in the SMTP banner', 'me; without either, qmail-smtpd answers 421', 'next connection'),
  localiphost: info('localiphost', 'the name that replaces [a.b.c.d] in box@[local IP]', 'me; without either, 421', 'next connection'),
  defaultdomain: info('defaultdomain', 'added by qmail-inject to a host name with no dot', 'me, then the word defaultdomain', 'next injection'),
  defaulthost: info('defaulthost', 'added by qmail-inject to an address with no host', 'me, then the word defaulthost', 'next injection'),
  plusdomain: info('plusdomain', 'replaces a trailing + on a host name', 'me, then the word plusdomain', 'next injection'),
  idhost: info('idhost', 'the host part of the Message-IDs qmail-inject makes', 'me, then the word idhost', 'next injection'),
  bouncefrom: info('bouncefrom', 'the local part bounces come from', 'MAILER-DAEMON', 'restart of qmail-send'),
  bouncehost: info('bouncehost', 'the host part bounces come from', 'me, then the word bouncehost', 'restart of qmail-send'),
  doublebouncehost: info('doublebouncehost', 'the host a bounce that bounced goes to', 'me, then the word doublebouncehost', 'restart of qmail-send'),
  doublebounceto: info('doublebounceto', 'the local part a bounce that bounced goes to', 'postmaster', 'restart of qmail-send'),
  envnoathost: info('envnoathost', 'added to an envelope recipient that has no @', 'me, then the word envnoathost', 'restart of qmail-send'),
  databytes: info('databytes', 'the largest message accepted, in bytes; 0 is no limit', '0 (no limit)', 'next connection'),
  timeoutconnect: info('timeoutconnect', 'seconds to wait for a remote server to accept the connection', '60', 'next delivery'),
  timeoutremote: info('timeoutremote', 'seconds to wait for each answer of a remote server', '1200', 'next delivery'),
  timeoutsmtpd: info('timeoutsmtpd', 'seconds to wait for each line from an SMTP client', '1200', 'next connection'),
  concurrencylocal: info('concurrencylocal', 'local deliveries at once (at most 255); 0 holds them', '10', 'restart of qmail-send'),
  concurrencyremote: info('concurrencyremote', 'remote deliveries at once (at most 255); 0 holds them', '20', 'restart of qmail-send'),
  queuelifetime: info('queuelifetime', 'seconds a message may stay in the queue', '604800 (a week)', 'restart of qmail-send'),
  locals: info('locals', 'the domains delivered on this host', 'me; with neither, qmail-send does not start', 'HUP of qmail-send'),
  rcpthosts: info('rcpthosts', 'the domains accepted from outside; .example.com covers every subdomain', 'every domain is accepted: an open relay', 'next connection'),
  morercpthosts: info('morercpthosts', 'more accepted domains, for long lists (read as morercpthosts.cdb)', 'none', 'qmail-newmrh builds the cdb'),
  badmailfrom: info('badmailfrom', 'envelope senders refused: user@domain, or @domain', 'none', 'next connection'),
  percenthack: info('percenthack', 'domains whose user%host@domain addresses are rewritten', 'none', 'restart of qmail-send'),
};
