import { issuePath, qmailLine, type FieldProblem, type HostDocument, type SmtpRoute } from '@qfleet/protocol';
import { UnrenderableValue, lowerAscii, parseColonMap, type ParseResult } from './control';
import { isDomainName, isHostName } from './names';

/**
 * control/smtproutes (QMAIL.md §1): `domain:relay[:port]`, a colon map read by qmail-remote
 * (QMAIL.md §0): case-insensitive keys, the later of two equal keys wins.
 */
export const SMTPROUTES_PATH = 'control/smtproutes';

/** "" (the default route), a domain, or `.domain` (its subdomains, not the bare domain; §1). */
function domainProblem(domain: string): string | null {
  if (domain === '') return null;
  return isDomainName(domain.startsWith('.') ? domain.slice(1) : domain) ? null : 'must be "", a domain or .domain';
}

/** A hostname (A record, no MX), a dotted quad, or `[dotted quad]` (§1). */
function relayProblem(relay: string): string | null {
  if (relay === '') return null;
  if (isHostName(relay) || isHostName(`[${relay}]`)) return null;
  return 'must be "" (direct), a host name, a dotted quad or [dotted quad]';
}

/** qmail-remote's lookup (§1): the exact host, each `.suffix`, then "". Undefined = no route. */
export function lookupSmtpRoute(routes: readonly SmtpRoute[], host: string): SmtpRoute | undefined {
  const map = new Map<string, SmtpRoute>();
  for (const r of routes) map.set(lowerAscii(r.domain), r);
  const h = lowerAscii(host);
  const keys = [h];
  for (let i = 0; i < h.length; i++) if (h[i] === '.') keys.push(h.slice(i));
  keys.push('');
  for (const k of keys) {
    const hit = map.get(k);
    if (hit) return hit;
  }
  return undefined;
}

export function renderSmtpRoutes(routes: readonly SmtpRoute[]): string {
  const seen = new Set<string>();
  let out = '';
  routes.forEach((r, i) => {
    const at = issuePath(['smtproutes', i]);
    for (const [name, value] of [['domain', r.domain], ['relay', r.relay]] as const) {
      const ok = qmailLine.safeParse(value);
      if (!ok.success) throw new UnrenderableValue(`${at}.${name}`, ok.error.issues[0]?.message ?? 'is not one line');
      // The key ends at the first ':', and the relay at the next one (the port follows it).
      if (value.includes(':')) throw new UnrenderableValue(`${at}.${name}`, "must not contain ':'");
    }
    if (r.domain.startsWith('#')) throw new UnrenderableValue(`${at}.domain`, "must not begin with '#'");
    // qmail-remote reads "" + port as a relay named "" (QMAIL.md §1): a port needs a relay.
    if (r.port !== undefined && r.relay === '') throw new UnrenderableValue(`${at}.port`, 'needs a relay');
    const key = lowerAscii(r.domain);
    if (seen.has(key)) return;
    seen.add(key);
    out += `${key}:${lowerAscii(r.relay)}${r.port === undefined ? '' : `:${r.port}`}\n`;
  });
  return out;
}

/**
 * qmail-remote's reading: after the key, the relay runs to the next ':' and the port is
 * scan_ulong of what follows (digits, the rest ignored; no digits reads as 0).
 */
export function parseSmtpRoutes(content: string): ParseResult<SmtpRoute> {
  const { entries, dropped } = parseColonMap(content);
  const out: ParseResult<SmtpRoute> = { entries: [], dropped, refused: [] };
  for (const { line, key, value } of entries) {
    if (!qmailLine.safeParse(key).success) {
      out.dropped.push({ line, message: `key ${JSON.stringify(key)} never matches a host` });
      continue;
    }
    const colon = value.indexOf(':');
    const relay = lowerAscii(colon === -1 ? value : value.slice(0, colon));
    const portText = colon === -1 ? undefined : value.slice(colon + 1);
    const port = portText === undefined ? undefined : Number(/^[0-9]*/.exec(portText)?.[0] || '0');
    if (!qmailLine.safeParse(relay).success) out.refused.push({ line, message: `relay ${JSON.stringify(relay)} has blanks or control characters` });
    else if (port !== undefined && (port < 1 || port > 65535)) out.refused.push({ line, message: `port ${JSON.stringify(portText)} reads as ${port}` });
    else if (port !== undefined && relay === '') out.refused.push({ line, message: 'a port without a relay' });
    else out.entries.push(port === undefined ? { domain: key, relay } : { domain: key, relay, port });
  }
  out.dropped.sort((a, b) => a.line - b.line);
  return out;
}

export function validateSmtpRoutes(doc: HostDocument): FieldProblem[] {
  const errors: FieldProblem[] = [];
  const first = new Map<string, number>();
  (doc.smtproutes ?? []).forEach((r, i) => {
    const at = issuePath(['smtproutes', i]);
    const dp = domainProblem(r.domain);
    if (dp) errors.push({ path: `${at}.domain`, message: dp });
    const rp = relayProblem(r.relay);
    if (rp) errors.push({ path: `${at}.relay`, message: rp });
    if (r.port !== undefined && r.relay === '') errors.push({ path: `${at}.port`, message: 'needs a relay: direct delivery uses port 25' });
    const key = lowerAscii(r.domain);
    const earlier = first.get(key);
    if (earlier !== undefined) errors.push({ path: `${at}.domain`, message: `duplicates ${issuePath(['smtproutes', earlier])}.domain` });
    else first.set(key, i);
  });
  return errors;
}
