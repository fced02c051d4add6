/**
 * Sizes the API refuses and the agent refuses alike (issue 10: what the API accepts, the agent
 * must be able to write). One constant each, imported by the zod schemas here and by the agent;
 * imports nothing, so the dashboard and the CLI can take them too.
 */

/** NAME_MAX on Linux filesystems: the longest file name (one path component) open(2) takes. */
export const MAX_FILE_NAME_LENGTH = 255;

/** `.qmail-` before every alias extension under ~alias (QMAIL.md §3). */
export const DOT_QMAIL_PREFIX = '.qmail-';

/**
 * The longest extension after `.qmail-`: the whole file name must fit NAME_MAX. An alias of a
 * virtual domain gets `<prefix>-` in front of its name (QMAIL.md §1), which counts too.
 */
export const MAX_DOT_QMAIL_EXT_LENGTH = MAX_FILE_NAME_LENGTH - DOT_QMAIL_PREFIX.length;

/** RFC 1035: a domain name in text form is at most 253 characters. */
export const MAX_DOMAIN_LENGTH = 253;

/** RFC 5321 §4.5.3.1.3: the longest forward-path, the longest address anything may hold. */
export const MAX_ADDRESS_LENGTH = 320;

/**
 * A managed file's path relative to the qmail home (`alias/qfleet/<ext>.autoreply`): a few
 * components, each at most MAX_FILE_NAME_LENGTH.
 */
export const MAX_RELATIVE_PATH_LENGTH = 1024;

/** PATH_MAX: the longest path the agent or qmail-local can open (a Maildir, an mbox, a home). */
export const MAX_PATH_LENGTH = 4096;

/** A qmail control line or a `.qmail` line; qmail reads longer ones, but nobody writes them by hand. */
export const MAX_LINE_LENGTH = 4096;

/** Entries of one list in a document (locals, aliases, assignments, …). */
export const MAX_LIST_ENTRIES = 100_000;

/** Destinations of one alias: lines of one `.qmail` file. */
export const MAX_ALIAS_DESTINATIONS = 1_000;

/** Host-name patterns of one fleet target, and the longest pattern (a host name's length). */
export const MAX_HOST_PATTERNS = 100;
export const MAX_HOST_PATTERN_LENGTH = MAX_DOMAIN_LENGTH;

/** Criteria of one mailbox search and the longest search text (literal, case-insensitive). */
export const MAX_SEARCH_CRITERIA = 20;
export const MAX_SEARCH_TEXT_LENGTH = 1_000;

/** RFC 5322 §2.1.1: a header line is at most 998 characters, its name less. */
export const MAX_HEADER_NAME_LENGTH = 200;

/**
 * Hosts one `POST /api/hosts/bulk` creates (all or none): 1,000 rows of name and groups stay well
 * under the API's 1 MB body limit, and one call's transaction stays short. `qfleet hosts import`
 * sends a larger inventory in chunks of this size.
 */
export const MAX_BULK_HOSTS = 1_000;
/** Mailboxes in every mailbox-statistics report, by size and by quota use (issue 14). */
export const MAILBOX_STATS_TOP = 20;

/**
 * The most mailboxes one full mailbox-statistics list carries: at about 200 bytes each, well
 * under the socket's payload limit. A host with more sends the largest this many.
 */
export const MAILBOX_STATS_LIST_MAX = 50_000;
