import { issuePath, qmailLine, type FieldProblem, type HostDocument, type VirtualDomain } from '@qfleet/protocol';
import { UnrenderableValue, lowerAscii, parseColonMap, type ParseResult } from './control';
import { isDomainName } from './names';

/**
 * control/virtualdomains (QMAIL.md §1): `match:prefix` lines, read by qmail-send through
 * constmap (QMAIL.md §0), so keys are case-insensitive and the later of two equal keys wins.
 */
export const VIRTUALDOMAINS_PATH = 'control/virtualdomains';

/** Letters, digits, `-`, `_`, `.`: the prefix becomes the start of a local part and of a `.qmail-` name (§3). */
const PREFIX = /^[A-Za-z0-9._-]*$/;

/** The local part of a `user@domain` key: no blank, no second `@`, no `:` (it would end the key). */
const USER = /^[^\s@:#][^\s@:]*$/;

/**
 * constmap lowercases nothing but compares case-insensitively (QMAIL.md §0), so the whole key
 * can be stored lowercase without changing a lookup.
 */
export function matchKey(match: string): string {
  return lowerAscii(match);
}

/** Why `match` can never be a key qmail-send looks up, or null (QMAIL.md §1 lookup order). */
export function matchProblem(match: string): string | null {
  if (match === '') return null;
  const at = match.indexOf('@');
  if (at !== -1) {
    return USER.test(match.slice(0, at)) && isDomainName(match.slice(at + 1)) ? null : 'must be user@domain with a valid domain';
  }
  const domain = match.startsWith('.') ? match.slice(1) : match;
  return isDomainName(domain) ? null : 'must be a domain, .domain (its subdomains), user@domain, or "" (all other addresses)';
}

/** Webmin's "automatic" prefix (QMAIL.md §7, Virtual Mappings): the first label, or `catchall`. */
export function autoPrefix(match: string): string {
  if (match === '') return 'catchall';
  const domain = match.slice(match.indexOf('@') + 1).replace(/^\./, '');
  return lowerAscii(domain.split('.')[0] ?? '');
}

/**
 * qmail-send's lookup for a non-local recipient (QMAIL.md §1): `user@domain`, the domain,
 * each `.suffix`, then "". Returns the prefix that applies ("" = not virtual), or undefined.
 */
export function lookupVirtualDomain(entries: readonly VirtualDomain[], address: string): string | undefined {
  return virtualDomainLookup(entries)(address);
}

/** `lookupVirtualDomain` for many addresses: the map is built once (linear validation, issue 10). */
export function virtualDomainLookup(entries: readonly VirtualDomain[]): (address: string) => string | undefined {
  const map = new Map<string, string>();
  // Later wins, as in constmap (QMAIL.md §0).
  for (const e of entries) map.set(matchKey(e.match), e.prefix);
  return (address) => lookupIn(map, address);
}

function lookupIn(map: ReadonlyMap<string, string>, address: string): string | undefined {
  const addr = lowerAscii(address);
  const at = addr.lastIndexOf('@');
  const domain = at === -1 ? '' : addr.slice(at + 1);
  const keys = [addr, domain];
  for (let i = 0; i < domain.length; i++) if (domain[i] === '.') keys.push(domain.slice(i));
  keys.push('');
  for (const k of keys) {
    const hit = map.get(k);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** The file qfleet writes: document order, the first of two equal keys kept (Contract). */
export function renderVirtualDomains(entries: readonly VirtualDomain[]): string {
  const seen = new Set<string>();
  let out = '';
  entries.forEach((e, i) => {
    const at = issuePath(['virtualdomains', i]);
    for (const [name, value] of [['match', e.match], ['prefix', e.prefix]] as const) {
      const r = qmailLine.safeParse(value);
      if (!r.success) throw new UnrenderableValue(`${at}.${name}`, r.error.issues[0]?.message ?? 'is not one line');
    }
    // The key ends at the first ':' and a '#' line is a comment (QMAIL.md §0).
    if (e.match.includes(':')) throw new UnrenderableValue(`${at}.match`, "must not contain ':'");
    if (e.match.startsWith('#')) throw new UnrenderableValue(`${at}.match`, "must not begin with '#'");
    const key = matchKey(e.match);
    if (seen.has(key)) return;
    seen.add(key);
    out += `${key}:${e.prefix}\n`;
  });
  return out;
}

/**
 * What qmail-send makes of the file. A key with blanks or a CR can never equal an address, so
 * its line is dropped; a prefix the document cannot hold (leading blank, CR) is refused.
 */
export function parseVirtualDomains(content: string): ParseResult<VirtualDomain> {
  const { entries, dropped } = parseColonMap(content);
  const out: ParseResult<VirtualDomain> = { entries: [], dropped, refused: [] };
  for (const { line, key, value } of entries) {
    if (!qmailLine.safeParse(key).success) out.dropped.push({ line, message: `key ${JSON.stringify(key)} never matches an address` });
    else if (!qmailLine.safeParse(value).success) out.refused.push({ line, message: `prefix ${JSON.stringify(value)} has blanks or control characters` });
    else out.entries.push({ match: key, prefix: value });
  }
  out.dropped.sort((a, b) => a.line - b.line);
  return out;
}

export function validateVirtualDomains(doc: HostDocument): { errors: FieldProblem[]; warnings: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const entries = doc.virtualdomains;
  if (!entries) return { errors, warnings };
  const locals = new Set((doc.locals ?? []).map(lowerAscii));
  const first = new Map<string, number>();
  entries.forEach((e, i) => {
    const at = issuePath(['virtualdomains', i]);
    const problem = matchProblem(e.match);
    if (problem) errors.push({ path: `${at}.match`, message: problem });
    if (!PREFIX.test(e.prefix)) errors.push({ path: `${at}.prefix`, message: 'may hold only letters, digits, -, _ and .' });
    const key = matchKey(e.match);
    const earlier = first.get(key);
    if (earlier !== undefined) errors.push({ path: `${at}.match`, message: `duplicates ${issuePath(['virtualdomains', earlier])}.match` });
    else first.set(key, i);
    // qmail-send delivers a domain in locals unchanged before it looks at virtualdomains (§1).
    const domain = key.slice(key.indexOf('@') + 1);
    if (!problem && locals.has(domain)) {
      warnings.push({ path: `${at}.match`, message: `${domain} is also in locals, which wins: this mapping never applies` });
    }
  });
  return { errors, warnings };
}
