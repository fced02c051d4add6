import { lowerAscii } from './control';

/**
 * Host and domain syntax as qmail uses it. qmail itself checks nothing, it just never matches
 * a malformed entry, so these are the checks that catch a typo before qmail silently ignores it.
 */

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** An LDH domain name (RFC 1123); one label is fine, `localhost` is in LWQ's locals. */
export function isDomainName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => LABEL.test(l));
}

/** rcpthosts and morercpthosts: a leading `.` matches every subdomain (QMAIL.md §1). */
export function isRcptHostsEntry(s: string): boolean {
  return isDomainName(s.startsWith('.') ? s.slice(1) : s);
}

function isDottedQuad(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * A host where qmail puts one into an address or a greeting: a domain name, or the address
 * literal `[1.2.3.4]` (qmail is IPv4 only; QMAIL.md §1 `localiphost`, smtproutes).
 */
export function isHostName(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return isDottedQuad(s.slice(1, -1));
  return isDomainName(s);
}

/**
 * qmail-smtpd's rule (QMAIL.md §1 rcpthosts): the lowercased host is looked up whole, then
 * from every dot, so `.example.com` covers `a.example.com` but not `example.com`.
 */
export function rcptHostsAccept(host: string, entries: Iterable<string>): boolean {
  return rcptHostsMatcher(entries)(host);
}

/**
 * `rcptHostsAccept` for many hosts against one list: the set is built once, so checking every
 * locals entry stays linear (issue 10: rebuilding it per call took 32 s for 10,000 of each).
 */
export function rcptHostsMatcher(entries: Iterable<string>): (host: string) => boolean {
  const set = new Set<string>();
  for (const e of entries) set.add(lowerAscii(e));
  return (host) => {
    const h = lowerAscii(host);
    for (let i = 0; i < h.length; i++) {
      if ((i === 0 || h[i] === '.') && set.has(h.slice(i))) return true;
    }
    return false;
  };
}
