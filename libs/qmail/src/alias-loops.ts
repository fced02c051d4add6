import { issuePath, type Alias, type FieldProblem, type HostDocument } from '@qfleet/protocol';
import { lowerAscii } from './control';
import { domainPrefix } from './aliases';
import { qmailExt } from './dot-qmail';
import { lookupVirtualDomain } from './virtualdomains';

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
 * The `.qmail` extension under ~alias that mail for `addr` reaches, or undefined when it
 * leaves the host or an assignment takes it first (qmail-lspawn consults users/assign before
 * falling back to the alias user, QMAIL.md §2; passwd users are invisible to us).
 */
function aliasExtFor(addr: string, doc: HostDocument, locals: Set<string>): { ext: string; virtual: boolean } | undefined {
  const at = addr.lastIndexOf('@');
  const domain = lowerAscii(addr.slice(at + 1));
  let local = lowerAscii(addr.slice(0, at));
  const virtual = !locals.has(domain);
  if (virtual) {
    const prefix = lookupVirtualDomain(doc.virtualdomains ?? [], addr);
    if (!prefix) return undefined;
    local = lowerAscii(`${prefix}-${local}`);
  }
  const assigned = (doc.assignments ?? []).some((a) => {
    const key = lowerAscii(a.address);
    return a.kind === 'exact' ? key === local : local.startsWith(key);
  });
  return assigned ? undefined : { ext: qmailExt(local), virtual };
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
  aliases.forEach((a, i) => {
    if (a.domain !== undefined && domainPrefix(a.domain, doc) === undefined) return;
    const ext = qmailExt(a.domain === undefined ? a.name : `${domainPrefix(a.domain, doc)}-${a.name}`);
    if (!byExt.has(ext)) byExt.set(ext, i);
  });
  const edges: Edge[][] = aliases.map((a) =>
    a.destinations.flatMap((d): Edge[] => {
      if (d.kind !== 'forward' || d.value.lastIndexOf('@') <= 0) return [];
      const target = aliasExtFor(d.value, doc, locals);
      const hit = target && resolve(target.ext, byExt);
      return hit ? [{ to: hit.index, unsure: hit.viaDefault && !target.virtual }] : [];
    }),
  );

  // Depth-first search without recursion; a gray node reached again closes a cycle.
  const color = new Uint8Array(aliases.length);
  const reported = new Set<string>();
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  for (let s = 0; s < aliases.length; s++) {
    if (color[s]) continue;
    const path = [s];
    const via: Edge[] = [];
    const next = [0];
    color[s] = 1;
    while (path.length) {
      const top = path.length - 1;
      const u = path[top] as number;
      const out = edges[u] ?? [];
      const k = next[top] as number;
      if (k >= out.length) {
        color[u] = 2;
        path.pop();
        via.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const e = out[k] as Edge;
      if (color[e.to] === 0) {
        color[e.to] = 1;
        path.push(e.to);
        via.push(e);
        next.push(0);
      } else if (color[e.to] === 1) {
        const from = path.indexOf(e.to);
        const cycle = path.slice(from);
        const unsure = e.unsure || via.slice(from).some((x) => x.unsure);
        const first = Math.min(...cycle);
        const start = cycle.indexOf(first);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = rotated.join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        const names = [...rotated, first].map((i) => label(aliases[i] as Alias));
        const message = `forwarding loop: ${names.join(' → ')}`;
        if (unsure) warnings.push({ path: issuePath(['aliases', first]), message: `${message} (unless a system account takes a name a default alias catches)` });
        else errors.push({ path: issuePath(['aliases', first]), message });
      }
    }
  }
  return { errors, warnings };
}
