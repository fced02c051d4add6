import type { Alias, Assignment, HostDocument, PrivilegedChange } from '@qfleet/protocol';
import { aliasKey, assignmentKey } from './layering/merge';

/**
 * What a new document adds or alters that decides what runs on the mail host (issue 10,
 * hole 5), compared with the document before it:
 * - a `program` destination: qmail-local runs `sh -c cmd` as the alias user (or, through a
 *   user's `.qmail`, an assigned uid) for every message (QMAIL.md §3), on every host that gets
 *   the document. New or changed per alias: the same command moved to another alias is a new
 *   address that starts it.
 * - an `assignments` entry added or with any field changed: it decides the uid, gid and home a
 *   local part is delivered as, and so whose `.qmail` programs run (QMAIL.md §2). `dash` and
 *   `ext` pick which `.qmail` file in that home is read, so they count too.
 *
 * Not privileged: removing either (it runs less), and `autoreply` / `filter` destinations:
 * qfleet renders those as a line running its own fixed program (`qfleet/bin/qfleet-autoreply`,
 * `qfleet-filter`) with a JSON data file; the caller chooses data, never the command, and the
 * filter's targets are the same forward/Maildir/mbox deliveries any alias may name.
 *
 * Paths index into `after`, so they name the field the caller wrote. Entries compare by the
 * keys layering uses (ASCII case-insensitive, as qmail looks them up); a duplicate key counts
 * by its first entry, as render keeps the first.
 */
export function privilegedChanges(before: HostDocument | null | undefined, after: HostDocument): PrivilegedChange[] {
  const out: PrivilegedChange[] = [];
  const oldPrograms = new Map<string, Set<string>>();
  for (const a of before?.aliases ?? []) {
    const key = aliasKey(a);
    if (!oldPrograms.has(key)) oldPrograms.set(key, new Set(programsOf(a)));
  }
  (after.aliases ?? []).forEach((a, i) => {
    const had = oldPrograms.get(aliasKey(a));
    a.destinations.forEach((d, j) => {
      if (d.kind === 'program' && !had?.has(d.value)) out.push({ path: `aliases[${i}].destinations[${j}]`, kind: 'program', value: d.value });
    });
  });
  const oldAssignments = new Map<string, Assignment>();
  for (const a of before?.assignments ?? []) if (!oldAssignments.has(assignmentKey(a))) oldAssignments.set(assignmentKey(a), a);
  (after.assignments ?? []).forEach((a, i) => {
    const had = oldAssignments.get(assignmentKey(a));
    if (!had || !sameDelivery(had, a)) out.push({ path: `assignments[${i}]`, kind: 'assignment', value: describeAssignment(a) });
  });
  return out;
}

function programsOf(a: Alias): string[] {
  return a.destinations.flatMap((d) => (d.kind === 'program' ? [d.value] : []));
}

function sameDelivery(a: Assignment, b: Assignment): boolean {
  return a.user === b.user && a.uid === b.uid && a.gid === b.gid && a.home === b.home && (a.dash ?? '') === (b.dash ?? '') && (a.ext ?? '') === (b.ext ?? '');
}

function describeAssignment(a: Assignment): string {
  return `${a.kind === 'exact' ? '=' : '+'}${a.address} ${a.user} ${a.uid}:${a.gid} ${a.home}`;
}

/**
 * The characters an allowlisted program line may hold after its program: words, paths, options
 * and `$NAME` / `${NAME}` (qmail-local's environment, QMAIL.md §3). Everything sh reads as a
 * separator, pipe, redirection, substitution, quote or escape (`; & | < > ( ) \` ' " \ *?[`
 * newline) is out, so the line runs that program and nothing else.
 */
const PLAIN_ARGUMENTS = /^[A-Za-z0-9_./=,:@%+~{}$ \t-]*$/;

/**
 * Why a program line is not covered by an allowlist of absolute program paths, or null if it
 * is. qmail-local hands the line after `|` to `sh -c` (QMAIL.md §3), so the program is the
 * first blank-separated word, compared byte for byte (no PATH lookup, no quoting), and the rest
 * must be plain arguments. Anything else fails closed.
 */
export function programOutsideAllowlist(command: string, allowlist: readonly string[]): string | null {
  const program = command.split(/[ \t]/, 1)[0] ?? '';
  if (!allowlist.includes(program)) return `runs ${program || 'nothing'}, which is not on the program allowlist`;
  const rest = command.slice(program.length);
  if (!PLAIN_ARGUMENTS.test(rest)) return `runs ${program} with shell syntax after it (; & | < > ( ) \` quotes or globs), which could run another program`;
  return null;
}

/**
 * The same items, named in another document that holds the same entries by key (the caller's
 * own document or a rollout's `change.add`, where the effective document merged them from):
 * `prefix + path` there, or null for an item that document does not hold. An alias or an
 * assignment is replaced whole when layers merge, so a destination keeps its index.
 */
export function locatePrivileged(item: PrivilegedChange, from: HostDocument, to: HostDocument | undefined, prefix = ''): string | null {
  const m = /^(aliases|assignments)\[(\d+)\](.*)$/.exec(item.path);
  if (!m || !to) return null;
  const [, field, index, rest] = m;
  if (field === 'aliases') {
    const a = from.aliases?.[Number(index)];
    const at = a ? (to.aliases ?? []).findIndex((b) => aliasKey(b) === aliasKey(a)) : -1;
    return at < 0 ? null : `${prefix}aliases[${at}]${rest}`;
  }
  const a = from.assignments?.[Number(index)];
  const at = a ? (to.assignments ?? []).findIndex((b) => assignmentKey(b) === assignmentKey(a)) : -1;
  return at < 0 ? null : `${prefix}assignments[${at}]${rest}`;
}
