import { issuePath, type Alias, type FieldProblem, type HostDocument } from '@qfleet/protocol';
import { lowerAscii } from './control';
import { domainPrefix, domainPrefixes } from './aliases';
import { isForwardAddress, qmailExt } from './dot-qmail';
import { virtualDomainLookup } from './virtualdomains';

/**
 * Forwarding loops between the document's aliases (DESIGN.md "The desired state"). qmail
 * only notices a loop after many hops (Delivered-To), so every message would bounce late.
 */

/** The domains qmail-send delivers locally: `locals`, or `me` when locals is removed (QMAIL.md §1). */
function localDomains(doc: HostDocument): Set<string> {
  if (Array.isArray(doc.locals)) return new Set(doc.locals.map(lowerAscii));
  return new Set(doc.locals === null && typeof doc.me === 'string' ? [lowerAscii(doc.me)] : []);
}

/**
 * Whether users/assign takes a local part before the alias user (qmail-lspawn, QMAIL.md §2):
 * an exact key equal to it, or a prefix key it starts with. Sets built once, and only the
 * prefix lengths that occur are tried, so each lookup costs the local part's length at most
 * (scanning every assignment per forward was quadratic, issue 10).
 */
function assignedMatcher(doc: HostDocument): (local: string) => boolean {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  const lengths = new Set<number>();
  for (const a of doc.assignments ?? []) {
    const key = lowerAscii(a.address);
    if (a.kind === 'exact') exact.add(key);
    else {
      prefixes.add(key);
      lengths.add(key.length);
    }
  }
  const sortedLengths = [...lengths].sort((x, y) => x - y);
  return (local) => exact.has(local) || sortedLengths.some((n) => n <= local.length && prefixes.has(local.slice(0, n)));
}

/**
 * The `.qmail` extension under ~alias that mail for `addr` reaches, or undefined when it
 * leaves the host or an assignment takes it first (qmail-lspawn consults users/assign before
 * falling back to the alias user, QMAIL.md §2; passwd users are invisible to us).
 */
function aliasExtFor(
  addr: string,
  locals: Set<string>,
  lookup: (address: string) => string | undefined,
  assigned: (local: string) => boolean,
): { ext: string; virtual: boolean } | undefined {
  const at = addr.lastIndexOf('@');
  const domain = lowerAscii(addr.slice(at + 1));
  let local = lowerAscii(addr.slice(0, at));
  const virtual = !locals.has(domain);
  if (virtual) {
    const prefix = lookup(addr);
    if (!prefix) return undefined;
    local = lowerAscii(`${prefix}-${local}`);
  }
  return assigned(local) ? undefined : { ext: qmailExt(local), virtual };
}

/**
 * qmail-local's order (§3): the extension itself, then each `-default` from the longest, then
 * `default`. `viaDefault` says a `-default` file caught it.
 */
function resolve(ext: string, byExt: Map<string, number>): { index: number; viaDefault: boolean } | undefined {
  const exact = byExt.get(ext);
  if (exact !== undefined) return { index: exact, viaDefault: false };
  for (let i = ext.length - 1; i > 0; i--) {
    if (ext[i] !== '-') continue;
    const hit = byExt.get(`${ext.slice(0, i)}-default`);
    if (hit !== undefined) return { index: hit, viaDefault: true };
  }
  const all = byExt.get('default');
  return all === undefined ? undefined : { index: all, viaDefault: true };
}

interface Edge {
  to: number;
  /**
   * A plain local name caught by a `-default` file: a passwd account of that name would take
   * the mail first (qmail-getpw, QMAIL.md §2), and qfleet cannot see passwd.
   */
  unsure: boolean;
}

function label(a: Alias): string {
  return a.domain === undefined ? a.name : `${a.name}@${lowerAscii(a.domain)}`;
}

/**
 * Errors for certain loops, warnings for loops that a passwd account of the same name would
 * break; each names the cycle from its first alias ("forwarding loop: sales → team → sales").
 */
export function findForwardingLoops(doc: HostDocument): { errors: FieldProblem[]; warnings: FieldProblem[] } {
  const aliases = doc.aliases ?? [];
  const locals = localDomains(doc);
  const byExt = new Map<string, number>();
  const prefixes = domainPrefixes(doc);
  aliases.forEach((a, i) => {
    const prefix = a.domain === undefined ? undefined : domainPrefix(a.domain, doc, prefixes);
    if (a.domain !== undefined && prefix === undefined) return;
    const ext = qmailExt(a.domain === undefined ? a.name : `${prefix}-${a.name}`);
    if (!byExt.has(ext)) byExt.set(ext, i);
  });
  const lookup = virtualDomainLookup(doc.virtualdomains ?? []);
  const assigned = assignedMatcher(doc);
  const edges: Edge[][] = aliases.map((a) =>
    a.destinations.flatMap((d): Edge[] => {
      // An invalid address is an error of its own (validateAliases); it reaches no alias.
      if (d.kind !== 'forward' || !isForwardAddress(d.value)) return [];
      const target = aliasExtFor(d.value, locals, lookup, assigned);
      const hit = target && resolve(target.ext, byExt);
      return hit ? [{ to: hit.index, unsure: hit.viaDefault && !target.virtual }] : [];
    }),
  );

  // Depth-first search without recursion; a gray node reached again closes a cycle.
  // Each back edge closes one cycle. Finding it costs O(1) (positions on the path, and a running
  // count of unsure edges along it); spelling it out costs its length, so only the first
  // MAX_REPORTED loops are spelled out and each names at most MAX_NAMED aliases. A chain of
  // 10,000 aliases each forwarding back to the first would otherwise make 10,000 messages of up
  // to 10,000 names (quadratic, issue 10).
  const color = new Uint8Array(aliases.length);
  const onPath = new Int32Array(aliases.length).fill(-1);
  const reported = new Set<string>();
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const more = { certain: 0, unsure: 0 };
  for (let s = 0; s < aliases.length; s++) {
    if (color[s]) continue;
    const path = [s];
    // unsureSoFar[k]: unsure edges on the path from path[0] to path[k]
    const unsureSoFar = [0];
    const next = [0];
    color[s] = 1;
    onPath[s] = 0;
    while (path.length) {
      const top = path.length - 1;
      const u = path[top] as number;
      const out = edges[u] ?? [];
      const k = next[top] as number;
      if (k >= out.length) {
        color[u] = 2;
        onPath[u] = -1;
        path.pop();
        unsureSoFar.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const e = out[k] as Edge;
      if (color[e.to] === 0) {
        color[e.to] = 1;
        onPath[e.to] = path.length;
        path.push(e.to);
        unsureSoFar.push((unsureSoFar[top] as number) + (e.unsure ? 1 : 0));
        next.push(0);
      } else if (color[e.to] === 1) {
        const from = onPath[e.to] as number;
        const unsure = e.unsure || (unsureSoFar[top] as number) > (unsureSoFar[from] as number);
        if (errors.length + warnings.length >= MAX_REPORTED) {
          more[unsure ? 'unsure' : 'certain']++;
          continue;
        }
        const cycle = path.slice(from);
        let start = 0;
        for (let i = 1; i < cycle.length; i++) if ((cycle[i] as number) < (cycle[start] as number)) start = i;
        const first = cycle[start] as number;
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = rotated.join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        const message = `forwarding loop: ${loopNames(aliases, rotated)}`;
        if (unsure) warnings.push({ path: issuePath(['aliases', first]), message: `${message} (unless a system account takes a name a default alias catches)` });
        else errors.push({ path: issuePath(['aliases', first]), message });
      }
    }
  }
  if (more.certain) errors.push({ path: 'aliases', message: `${more.certain} more forwarding loops not listed` });
  if (more.unsure) warnings.push({ path: 'aliases', message: `${more.unsure} more possible forwarding loops not listed` });
  return { errors, warnings };
}

const MAX_REPORTED = 100;
const MAX_NAMED = 20;

/** `a → b → c → a`; a long cycle shows its start and end around `… (n aliases) …`. */
function loopNames(aliases: readonly Alias[], cycle: readonly number[]): string {
  const name = (i: number) => label(aliases[i] as Alias);
  const ring = [...cycle, cycle[0] as number];
  if (ring.length <= MAX_NAMED) return ring.map(name).join(' → ');
  const half = MAX_NAMED / 2;
  return [...ring.slice(0, half).map(name), `… (${cycle.length} aliases) …`, ...ring.slice(-half).map(name)].join(' → ');
}
