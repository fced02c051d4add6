import { DOT_QMAIL_PREFIX, MAX_FILE_NAME_LENGTH, issuePath, type Alias, type FieldProblem, type HostDocument } from '@qfleet/protocol';
import { UnrenderableValue, lowerAscii } from './control';
import { companionPath, destinationProblems, qmailExt, renderDotQmail } from './dot-qmail';
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

/**
 * The prefix of each virtualdomains key, the first entry of a key kept (Contract: first kept).
 * Built once per document: looking each alias's domain up in the list was quadratic (issue 10).
 */
export type DomainPrefixes = ReadonlyMap<string, string>;

export function domainPrefixes(doc: HostDocument): DomainPrefixes {
  const map = new Map<string, string>();
  for (const v of doc.virtualdomains ?? []) {
    const key = matchKey(v.match);
    if (!map.has(key)) map.set(key, v.prefix);
  }
  return map;
}

/** The non-empty prefix that virtualdomains gives `domain` in this document, if any. */
export function domainPrefix(domain: string, doc: HostDocument, prefixes: DomainPrefixes = domainPrefixes(doc)): string | undefined {
  const prefix = prefixes.get(matchKey(domain));
  return prefix === undefined || prefix === '' ? undefined : prefix;
}

/** The extension after `.qmail-`: the name, or `<prefix>-<name>`, mapped as qmail-local does. */
export function aliasExt(alias: Pick<Alias, 'name' | 'domain'>, doc: HostDocument, prefixes?: DomainPrefixes): string {
  if (alias.domain === undefined) return qmailExt(alias.name);
  const prefix = domainPrefix(alias.domain, doc, prefixes);
  if (prefix === undefined) throw new UnrenderableValue('domain', `${alias.domain} has no virtualdomains entry with a prefix`);
  return qmailExt(`${prefix}-${alias.name}`);
}

/** `.qmail-sales`, `.qmail-example-sales`, `.qmail-default` (the catch-all of §3). */
export function aliasFileName(alias: Pick<Alias, 'name' | 'domain'>, doc: HostDocument, prefixes?: DomainPrefixes): string {
  return `${DOT_QMAIL_PREFIX}${aliasExt(alias, doc, prefixes)}`;
}

/** The alias's `.qmail` file and its autoreply / filter data files, paths relative to the qmail home. */
export function renderAliasFile(alias: Alias, doc: HostDocument, index = 0, prefixes?: DomainPrefixes): RenderedFile[] {
  let ext: string;
  try {
    ext = aliasExt(alias, doc, prefixes);
  } catch (e) {
    if (e instanceof UnrenderableValue) throw new UnrenderableValue(`${issuePath(['aliases', index])}.${e.path}`, e.reason);
    throw e;
  }
  if (!SAFE_EXT.test(ext)) throw new UnrenderableValue(`${issuePath(['aliases', index])}.name`, 'does not map to a safe file name');
  const tooLong = fileNameTooLong(alias, ext);
  if (tooLong) throw new UnrenderableValue(`${issuePath(['aliases', index])}.name`, tooLong);
  const { content, companions } = renderDotQmail(ext, alias.destinations, `${issuePath(['aliases', index])}.destinations`);
  return [
    { path: `${ALIAS_DIR}/.qmail-${ext}`, content, mode: FILE_MODE },
    ...companions.map((c) => ({ path: `${ALIAS_DIR}/${c.path}`, content: c.content, mode: FILE_MODE })),
  ];
}

/** Every alias file, the first alias kept when two map to one file (Contract: first kept). */
export function renderAliases(aliases: readonly Alias[], doc: HostDocument): RenderedFile[] {
  const seen = new Set<string>();
  const prefixes = domainPrefixes(doc);
  return aliases.flatMap((alias, i) => {
    const files = renderAliasFile(alias, doc, i, prefixes);
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

/**
 * The agent refuses a file name over NAME_MAX (the shared limit), and would then refuse every
 * later revision too (issue 10): so the API refuses the alias. Its data files count as well,
 * and a virtual domain's `<prefix>-` makes every name of that domain longer.
 */
function fileNameTooLong(alias: Alias, ext: string): string | null {
  const names = [`${DOT_QMAIL_PREFIX}${ext}`, ...alias.destinations.flatMap((d) => (d.kind === 'autoreply' || d.kind === 'filter' ? [basename(companionPath(ext, d.kind))] : []))];
  const longest = names.reduce((a, b) => (b.length > a.length ? b : a));
  if (longest.length <= MAX_FILE_NAME_LENGTH) return null;
  const via = alias.domain === undefined ? '' : ' with its domain\'s virtualdomains prefix';
  return `makes the file name ${longest.slice(0, 40)}… ${longest.length} characters long${via}; at most ${MAX_FILE_NAME_LENGTH}`;
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export function validateAliases(doc: HostDocument): FieldProblem[] {
  const errors: FieldProblem[] = [];
  const byExt = new Map<string, number>();
  const prefixes = domainPrefixes(doc);
  (doc.aliases ?? []).forEach((alias, i) => {
    const at = issuePath(['aliases', i]);
    let ext: string | undefined;
    if (alias.domain !== undefined && domainPrefix(alias.domain, doc, prefixes) === undefined) {
      errors.push({ path: `${at}.domain`, message: `${lowerAscii(alias.domain)} has no virtualdomains entry with a prefix` });
    } else {
      ext = aliasExt(alias, doc, prefixes);
      if (!SAFE_EXT.test(ext)) errors.push({ path: `${at}.name`, message: "must map to a safe file name: letters, digits, '.', '_', '-'" });
      const tooLong = fileNameTooLong(alias, ext);
      if (tooLong) errors.push({ path: `${at}.name`, message: tooLong });
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
