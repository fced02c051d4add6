import { issuePath, type Assignment, type FieldProblem, type HostDocument } from '@qfleet/protocol';
import { lowerAscii } from './control';
import { domainPrefix, domainPrefixes } from './aliases';
import { qmailExt } from './dot-qmail';

/**
 * Aliases qmail never reads. qmail-lspawn looks a local part up in users/cdb first and runs
 * qmail-getpw (passwd, then the alias user) only when nothing there matches (QMAIL.md §2):
 * an alias whose local part users/assign claims is a file in ~alias nobody opens.
 */

/** Where qmail-lspawn sends a local part: the users/assign entry and the `.qmail` file qmail-local reads. */
export interface AssignHit {
  index: number;
  assignment: Assignment;
  /** `.qmail<dash><ext>` in the entry's home, ext mapped as qmail-local does (QMAIL.md §3). */
  dotQmail: string;
}

/**
 * qmail-lspawn's users/cdb lookup (nughde_get): the exact key `=local` (lowercased), else the
 * longest `+prefix` of it, the empty prefix (`+:`, the catch-all) last. The first of two equal
 * keys wins, as qmail-newu keeps it. A wildcard's ext is its `pre` plus the rest of the local part.
 * `maxPrefix` stops the prefix search at that length (for a `-default` alias, only prefixes of
 * its fixed part claim every address it would catch).
 */
export function assignLookup(assignments: readonly Assignment[]): (local: string, maxPrefix?: number) => AssignHit | undefined {
  const exact = new Map<string, number>();
  const prefix = new Map<string, number>();
  assignments.forEach((a, i) => {
    const map = a.kind === 'exact' ? exact : prefix;
    const key = lowerAscii(a.address);
    if (!map.has(key)) map.set(key, i);
  });
  const hit = (index: number, ext: string): AssignHit => {
    const assignment = assignments[index]!;
    return { index, assignment, dotQmail: `.qmail${assignment.dash ?? ''}${qmailExt(ext)}` };
  };
  return (local, maxPrefix) => {
    const lower = lowerAscii(local);
    if (maxPrefix === undefined) {
      const e = exact.get(lower);
      if (e !== undefined) return hit(e, assignments[e]!.ext ?? '');
    }
    for (let i = Math.min(lower.length, maxPrefix ?? lower.length); i >= 0; i--) {
      const p = prefix.get(lower.slice(0, i));
      if (p !== undefined) return hit(p, (assignments[p]!.ext ?? '') + local.slice(i));
    }
    return undefined;
  };
}

/** A passwd account as qmail-getpw sees it (QMAIL.md §2). */
export interface PasswdAccount {
  name: string;
  uid: number;
  home: string;
  /** The uid owning the home directory; undefined when the home does not exist. */
  homeOwner?: number;
}

/** qmail-getpw's GETPW_USERLEN: a user name must fit in 31 bytes. */
const GETPW_USERLEN = 32;

/**
 * qmail-getpw: the whole local part, then each part before a `-` (longest first), lowercased,
 * names a passwd account that takes the mail if its uid is not 0 and its home exists and is
 * owned by it. The rest after the `-` is the ext (`~user/.qmail-ext`). Undefined: the alias user.
 */
export function passwdOwner(local: string, account: (name: string) => PasswdAccount | undefined): { account: PasswdAccount; ext: string } | undefined {
  for (let end = local.length; end >= 0; end--) {
    if (end !== local.length && local[end] !== '-') continue;
    if (end >= GETPW_USERLEN) continue;
    const a = account(lowerAscii(local.slice(0, end)));
    if (a && a.uid !== 0 && a.homeOwner !== undefined && a.homeOwner === a.uid) return { account: a, ext: end === local.length ? '' : local.slice(end + 1) };
  }
  return undefined;
}

/** The local part qmail-lspawn is given for an alias: its name, or `prefix-name` for a virtual domain (QMAIL.md §1). */
export function aliasLocalPart(alias: { name: string; domain?: string }, prefix: string | undefined): string | undefined {
  if (alias.domain === undefined) return alias.name;
  return prefix === undefined ? undefined : `${prefix}-${alias.name}`;
}

const DEFAULT_SUFFIX = 'default';

/** A `default` alias catches every local part that starts with what comes before `default` (QMAIL.md §3). */
function defaultFixedPart(local: string): string | undefined {
  const lower = lowerAscii(local);
  if (lower === DEFAULT_SUFFIX) return '';
  return lower.endsWith(`-${DEFAULT_SUFFIX}`) ? local.slice(0, -DEFAULT_SUFFIX.length) : undefined;
}

/** A home that is ~alias: qmail's alias user lives in `<qmail home>/alias` (QMAIL.md §3). */
const isAliasHome = (home: string) => home === '/var/qmail/alias' || home.endsWith('/alias');

/**
 * Warnings for the document's aliases that a users/assign entry of the same document claims,
 * naming the entry and where the mail goes instead. A catch-all that hands the address back to
 * ~alias with the same `.qmail-` file (LWQ's `+:alias:…:/var/qmail/alias:-::`) shadows nothing.
 */
export function findShadowedAliases(doc: HostDocument): FieldProblem[] {
  const aliases = doc.aliases ?? [];
  const assignments = doc.assignments ?? [];
  if (!aliases.length || !assignments.length) return [];
  const lookup = assignLookup(assignments);
  const prefixes = domainPrefixes(doc);
  const warnings: FieldProblem[] = [];
  aliases.forEach((alias, i) => {
    const local = aliasLocalPart(alias, alias.domain === undefined ? undefined : domainPrefix(alias.domain, doc, prefixes));
    if (local === undefined) return; // refused by validateAliases
    const fixed = defaultFixedPart(local);
    const hit = fixed === undefined ? lookup(local) : lookup(local, fixed.length);
    if (!hit) return;
    const aliasFile = `.qmail-${qmailExt(local)}`;
    const a = hit.assignment;
    if (isAliasHome(a.home) && hit.dotQmail === aliasFile) return;
    const address = alias.domain === undefined ? alias.name : `${alias.name}@${lowerAscii(alias.domain)}`;
    const entry = `${a.kind === 'exact' ? '=' : '+'}${lowerAscii(a.address)}`;
    const via = local === alias.name ? '' : ` (delivered as ${lowerAscii(local)})`;
    warnings.push({
      path: issuePath(['aliases', i]),
      message:
        `${address}${via} is claimed by users/assign ${issuePath(['assignments', hit.index])} (${entry}): ` +
        `qmail delivers it as user ${a.user} through ${a.home}/${hit.dotQmail} and never reads ~alias/${aliasFile}`,
    });
  });
  return warnings;
}
