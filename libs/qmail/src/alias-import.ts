import type { Alias, AliasDestination, HostDocument } from '@qfleet/protocol';
import type { LineNote } from './control';
import { parseDotQmail, qmailExt } from './dot-qmail';
import { matchKey } from './virtualdomains';

export interface AliasFileContext {
  /** the document imported so far: its virtualdomains give the prefixes, envnoathost / me qualify forwards */
  doc?: HostDocument;
  /** the content of a data file named relative to the alias home (`qfleet/sales.autoreply`) */
  companion?: (path: string) => string | undefined;
  /** every alias file path present (`alias/.qmail-…`), to recognise owner files */
  others?: ReadonlySet<string>;
}

export type ImportedAlias = { alias: Alias; dropped: LineNote[]; notes: string[] } | { reason: string };

/**
 * Undoes the prefix mapping (QMAIL.md §1, §3): `example-sales` with `example.com:example`
 * is `{name: 'sales', domain: 'example.com'}`. The longest matching prefix wins, so the alias
 * renders back to the same file.
 */
function nameAndDomain(ext: string, doc: HostDocument): Pick<Alias, 'name' | 'domain'> {
  let best: { prefix: string; domain: string } | undefined;
  for (const v of doc.virtualdomains ?? []) {
    const domain = matchKey(v.match);
    if (v.prefix === '' || domain === '' || domain.includes('@') || domain.startsWith('.')) continue;
    const prefix = `${qmailExt(v.prefix)}-`;
    if (ext.startsWith(prefix) && ext.length > prefix.length && (!best || prefix.length > best.prefix.length)) best = { prefix, domain };
  }
  const name = (best ? ext.slice(best.prefix.length) : ext).replace(/:/g, '.');
  return best ? { name, domain: best.domain } : { name };
}

/** envnoathost, else me: what qmail-send appends to a recipient without `@` (QMAIL.md §1). */
function noAtHost(doc: HostDocument): string | undefined {
  return typeof doc.envnoathost === 'string' ? doc.envnoathost : typeof doc.me === 'string' ? doc.me : undefined;
}

/**
 * One `alias/.qmail-<ext>` file as an alias, or the reason it cannot be one. Files qmail
 * never looks up (uppercase or `.` in the name, §3) and owner files, which change the
 * envelope sender of another alias's forwards (§3), are not modelled.
 */
export function parseAliasFile(ext: string, content: string, ctx: AliasFileContext = {}): ImportedAlias {
  const doc = ctx.doc ?? {};
  if (ext === '' || !/^[a-z0-9:_-][a-z0-9:._-]*$/i.test(ext)) return { reason: 'not a name qfleet can manage' };
  if (qmailExt(ext) !== ext) return { reason: `never used: qmail lowercases the extension and maps '.' to ':' (looks for .qmail-${qmailExt(ext)})` };
  const owner = /^(.+)-owner(-default)?$/.exec(ext);
  if (owner && (owner[2] || ctx.others?.has(`alias/.qmail-${owner[1]}`))) {
    return { reason: `owner file of .qmail-${owner[1]}: sets the envelope sender of its forwards (VERP with -default), not modelled` };
  }
  const r = parseDotQmail(content, ctx.companion);
  if (r.refused.length) return { reason: r.refused.map((n) => `line ${n.line}: ${n.message}`).join('; ') };
  const notes: string[] = [];
  const host = noAtHost(doc);
  const destinations = r.entries.map((d): AliasDestination => {
    if (d.kind !== 'forward' || d.value.includes('@')) return d;
    // qmail-send appends @envnoathost to a recipient without @ (§1): the same address, spelled out.
    if (host === undefined) {
      notes.push(`forward to ${d.value} is not fully qualified and neither envnoathost nor me is known`);
      return d;
    }
    notes.push(`forward to ${d.value} written as ${d.value}@${host}, as qmail-send qualifies it (envnoathost)`);
    return { kind: 'forward', value: `${d.value}@${host}` };
  });
  return { alias: { ...nameAndDomain(ext, doc), destinations }, dropped: r.dropped, notes };
}
