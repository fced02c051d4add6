import { issuePath, type FieldProblem, type HostDocument, type ListField, type SingleLineField } from '@qfleet/protocol';
import { lowerAscii } from './control';
import { isDomainName, isHostName, isRcptHostsEntry, rcptHostsMatcher } from './names';
import { validateVirtualDomains } from './virtualdomains';
import { validateSmtpRoutes } from './smtproutes';
import { validateAssignments } from './assign';
import { validateAliases } from './aliases';
import { findForwardingLoops } from './alias-loops';
import { findShadowedAliases } from './alias-shadow';

/**
 * What the controller checks beyond the schema before it stores a document (DESIGN.md "The
 * desired state"). The schema has already refused what is not one line (Contract); this is
 * qmail's meaning: entries qmail would never match, and combinations that break mail flow.
 */
export interface DocumentProblems {
  errors: FieldProblem[];
  warnings: FieldProblem[];
}

/** Single-line files that name a host: qmail puts them after an `@` or into HELO (QMAIL.md §1). */
const HOST_FIELDS: readonly SingleLineField[] = [
  'me',
  'helohost',
  'localiphost',
  'bouncehost',
  'doublebouncehost',
  'defaultdomain',
  'defaulthost',
  'plusdomain',
  'idhost',
  'envnoathost',
];

/** QMAIL.md §1: the spawn limit is compiled in (conf-spawn) and can be at most 255. */
const MAX_CONCURRENCY = 255;

type EntryCheck = (entry: string) => string | null;

const domainEntry: EntryCheck = (e) => (isDomainName(e) ? null : 'is not a valid domain name');

const rcptHostsEntry: EntryCheck = (e) =>
  isRcptHostsEntry(e) ? null : "is not a valid domain name (a leading '.' matches its subdomains)";

/** qmail-smtpd looks up the whole sender, then `@` and the domain after the last `@` (QMAIL.md §1). */
const badMailFromEntry: EntryCheck = (e) => {
  const at = e.lastIndexOf('@');
  if (at === -1) return "must be user@domain or @domain";
  if (!isDomainName(e.slice(at + 1))) return 'has an invalid domain after the @';
  if (/\s/.test(e)) return 'must not contain whitespace';
  // control_readfile skips a line that begins with '#' (QMAIL.md §0).
  if (e.startsWith('#')) return "must not begin with '#', which qmail reads as a comment";
  return null;
};

const LIST_CHECKS: Record<ListField, EntryCheck> = {
  locals: domainEntry,
  percenthack: domainEntry,
  rcpthosts: rcptHostsEntry,
  morercpthosts: rcptHostsEntry,
  badmailfrom: badMailFromEntry,
};

export function validateDocument(doc: HostDocument): DocumentProblems {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];

  for (const field of HOST_FIELDS) {
    const v = doc[field];
    if (typeof v === 'string' && !isHostName(v)) {
      errors.push({ path: field, message: 'is not a valid host name or [IPv4] literal' });
    }
  }
  // qmail-send writes bounces from `bouncefrom@bouncehost` and sends double bounces to
  // `doublebounceto` (QMAIL.md §1): whitespace breaks the address, an @ doubles it.
  if (typeof doc.bouncefrom === 'string' && /[\s@]/.test(doc.bouncefrom)) {
    errors.push({ path: 'bouncefrom', message: 'must be a local part, without @ or whitespace' });
  }
  if (typeof doc.doublebounceto === 'string' && /\s/.test(doc.doublebounceto)) {
    errors.push({ path: 'doublebounceto', message: 'must be an address without whitespace' });
  }

  for (const field of ['concurrencylocal', 'concurrencyremote'] as const) {
    const v = doc[field];
    if (typeof v === 'number' && v > MAX_CONCURRENCY) {
      errors.push({ path: field, message: `is capped by conf-spawn, at most ${MAX_CONCURRENCY}` });
    }
  }

  for (const [field, check] of Object.entries(LIST_CHECKS) as [ListField, EntryCheck][]) {
    const list = doc[field];
    if (!list) continue;
    const first = new Map<string, number>();
    list.forEach((entry, i) => {
      const path = issuePath([field, i]);
      const problem = check(entry);
      if (problem) errors.push({ path, message: problem });
      // qmail matches case-insensitively (QMAIL.md §0), so case variants are duplicates too.
      const key = lowerAscii(entry);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, i);
      else warnings.push({ path, message: `duplicates ${issuePath([field, earlier])}; dropped when rendered` });
    });
  }

  const vd = validateVirtualDomains(doc);
  const assign = validateAssignments(doc);
  const loops = findForwardingLoops(doc);
  // Concatenated, not push(...list): 100,000 problems as call arguments overflow the stack.
  const allErrors = errors.concat(vd.errors, validateSmtpRoutes(doc), assign.errors, validateAliases(doc), loops.errors);
  const allWarnings = warnings.concat(vd.warnings, assign.warnings, loops.warnings, findShadowedAliases(doc));

  checkRelay(doc, allErrors, allWarnings);
  return { errors: allErrors, warnings: allWarnings };
}

/** rcpthosts decides who may relay through qmail-smtpd (QMAIL.md §1, §5; DESIGN.md "Contract"). */
function checkRelay(doc: HostDocument, errors: FieldProblem[], warnings: FieldProblem[]): void {
  if (doc.rcpthosts === null) {
    if (doc.openRelay === true) {
      warnings.push({ path: 'rcpthosts', message: "open relay: LWQ's smtpd run script refuses to start without control/rcpthosts" });
    } else {
      errors.push({ path: 'rcpthosts', message: 'removing rcpthosts makes an open relay: set openRelay: true' });
    }
    if (Array.isArray(doc.morercpthosts)) {
      warnings.push({ path: 'morercpthosts', message: 'is used only if rcpthosts exists' });
    }
    return;
  }

  // qmail-smtpd never reads locals or virtualdomains, so a domain it does not accept gets no
  // mail from outside (QMAIL.md §1). Only a managed rcpthosts is known; an unmanaged one may list it.
  if (!Array.isArray(doc.rcpthosts)) return;
  const accepts = rcptHostsMatcher([...doc.rcpthosts, ...(doc.morercpthosts ?? [])]);
  const seen = new Set<string>();
  const check = (domain: string, path: string) => {
    const key = lowerAscii(domain);
    if (seen.has(key) || !isDomainName(domain)) return;
    seen.add(key);
    if (!accepts(domain)) {
      warnings.push({ path, message: `${key} is not in rcpthosts or morercpthosts, so qmail-smtpd refuses mail for it` });
    }
  };
  (doc.locals ?? []).forEach((domain, i) => check(domain, issuePath(['locals', i])));
  (doc.virtualdomains ?? []).forEach((v, i) => {
    // A `.suffix` key or "" covers hosts we cannot list; user@domain needs its domain accepted.
    if (v.prefix !== '') check(v.match.slice(v.match.indexOf('@') + 1), `${issuePath(['virtualdomains', i])}.match`);
  });
}
