import { issuePath, type Alias, type FieldProblem, type HostDocument } from '@qfleet/protocol';
import { UnrenderableValue, lowerAscii } from './control';
import { destinationProblems, qmailExt, renderDotQmail } from './dot-qmail';
import { FILE_MODE, type RenderedFile, type RenderedSet } from './rendered';
import { matchKey } from './virtualdomains';

/**
 * The aliases of the document: one `~alias/.qmail-<ext>` file each (QMAIL.md §3). An alias
 * with a `domain` gets that virtual domain's prefix, because qmail-send turns
 * `name@domain` into `prefix-name` before the local delivery (QMAIL.md §1).
 */
export const ALIAS_DIR = 'alias';

/** After the mapping of §3; no `/` and no leading `.`, so the name stays in alias/. */
const SAFE_EXT = /^[a-z0-9:_-][a-z0-9:._-]*$/;

/** The non-empty prefix that virtualdomains gives `domain` in this document, if any. */
export function domainPrefix(domain: string, doc: HostDocument): string | undefined {
  const key = matchKey(domain);
  const hit = (doc.virtualdomains ?? []).find((v) => matchKey(v.match) === key);
  return hit && hit.prefix !== '' ? hit.prefix : undefined;
}

/** The extension after `.qmail-`: the name, or `<prefix>-<name>`, mapped as qmail-local does. */
export function aliasExt(alias: Pick<Alias, 'name' | 'domain'>, doc: HostDocument): string {
  if (alias.domain === undefined) return qmailExt(alias.name);
  const prefix = domainPrefix(alias.domain, doc);
  if (prefix === undefined) throw new UnrenderableValue('domain', `${alias.domain} has no virtualdomains entry with a prefix`);
  return qmailExt(`${prefix}-${alias.name}`);
}

/** `.qmail-sales`, `.qmail-example-sales`, `.qmail-default` (the catch-all of §3). */
export function aliasFileName(alias: Pick<Alias, 'name' | 'domain'>, doc: HostDocument): string {
  return `.qmail-${aliasExt(alias, doc)}`;
}

/** The alias's `.qmail` file and its autoreply / filter data files, paths relative to the qmail home. */
export function renderAliasFile(alias: Alias, doc: HostDocument, index = 0): RenderedFile[] {
  let ext: string;
  try {
    ext = aliasExt(alias, doc);
  } catch (e) {
    if (e instanceof UnrenderableValue) throw new UnrenderableValue(`${issuePath(['aliases', index])}.${e.path}`, e.reason);
    throw e;
  }
  if (!SAFE_EXT.test(ext)) throw new UnrenderableValue(`${issuePath(['aliases', index])}.name`, 'does not map to a safe file name');
  const { content, companions } = renderDotQmail(ext, alias.destinations, `${issuePath(['aliases', index])}.destinations`);
  return [
    { path: `${ALIAS_DIR}/.qmail-${ext}`, content, mode: FILE_MODE },
    ...companions.map((c) => ({ path: `${ALIAS_DIR}/${c.path}`, content: c.content, mode: FILE_MODE })),
  ];
}

/** Every alias file, the first alias kept when two map to one file (Contract: first kept). */
export function renderAliases(aliases: readonly Alias[], doc: HostDocument): RenderedFile[] {
  const seen = new Set<string>();
  return aliases.flatMap((alias, i) => {
    const files = renderAliasFile(alias, doc, i);
    const main = files[0]?.path ?? '';
    if (seen.has(main)) return [];
    seen.add(main);
    return files;
  });
}

/**
 * The alias files of a rendered set (`.qmail-*` and `qfleet/*` data files). `aliases: null`
 * cannot name the files to remove, so the controller removes the previous revision's
 * `aliasPaths` that the new one no longer has (DESIGN.md "Agent protocol").
 */
export function aliasPaths(rendered: RenderedSet): string[] {
  return rendered.files.map((f) => f.path).filter((p) => p.startsWith(`${ALIAS_DIR}/`)).sort();
}

export function validateAliases(doc: HostDocument): FieldProblem[] {
  const errors: FieldProblem[] = [];
  const byExt = new Map<string, number>();
  (doc.aliases ?? []).forEach((alias, i) => {
    const at = issuePath(['aliases', i]);
    let ext: string | undefined;
    if (alias.domain !== undefined && domainPrefix(alias.domain, doc) === undefined) {
      errors.push({ path: `${at}.domain`, message: `${lowerAscii(alias.domain)} has no virtualdomains entry with a prefix` });
    } else {
      ext = aliasExt(alias, doc);
      if (!SAFE_EXT.test(ext)) errors.push({ path: `${at}.name`, message: "must map to a safe file name: letters, digits, '.', '_', '-'" });
    }
    if (ext !== undefined) {
      const earlier = byExt.get(ext);
      if (earlier !== undefined) errors.push({ path: `${at}.name`, message: `uses the same file as ${issuePath(['aliases', earlier])} (.qmail-${ext})` });
      else byExt.set(ext, i);
    }
    alias.destinations.forEach((d, k) => {
      for (const [sub, message] of destinationProblems(d)) errors.push({ path: `${at}.destinations[${k}].${sub}`, message });
    });
    const kinds = alias.destinations.map((d) => d.kind);
    // A `#` line among deliveries is just a comment: discard means a file of `#` only (§3).
    if (kinds.includes('discard') && kinds.length > 1) errors.push({ path: `${at}.destinations`, message: 'discard cannot be combined with other destinations' });
    for (const kind of ['autoreply', 'filter'] as const) {
      if (kinds.filter((k) => k === kind).length > 1) errors.push({ path: `${at}.destinations`, message: `at most one ${kind} per alias (it has one data file)` });
    }
  });
  return errors;
}
