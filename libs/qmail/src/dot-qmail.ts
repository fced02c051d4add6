import {
  AutoreplySchema,
  FilterSchema,
  type AliasDestination,
  type Filter,
  type FilterTargetSchema,
} from '@qfleet/protocol';
import type { z } from 'zod';
import { UnrenderableValue, lowerAscii, stripTrailing, type LineNote, type ParseResult } from './control';
import { isDomainName } from './names';

/**
 * One `.qmail` file as qmail-local reads it (QMAIL.md §3). qfleet's own delivery programs
 * (autoreply, filter) are run with the alias user's home (`alias/`) as the current directory,
 * so their program and data paths are relative to it.
 */
export const AUTOREPLY_PROGRAM = 'qfleet/bin/qfleet-autoreply';
export const FILTER_PROGRAM = 'qfleet/bin/qfleet-filter';

/** qmail-local lowercases the extension and turns every `.` into `:` before the lookup (§3). */
export function qmailExt(ext: string): string {
  return lowerAscii(ext).replace(/\./g, ':');
}

/** The data file of an autoreply or filter destination, relative to the alias home. */
export function companionPath(ext: string, kind: 'autoreply' | 'filter'): string {
  return `qfleet/${ext}.${kind}`;
}

/** A fully qualified address, no blanks or brackets (QMAIL.md §3, forward lines). */
export function isForwardAddress(addr: string): boolean {
  const at = addr.lastIndexOf('@');
  return at > 0 && /^[^\s@<>()[\]",;:\\]+$/.test(addr.slice(0, at)) && isDomainName(addr.slice(at + 1));
}

/** A line starting with `/` or `.` is a mailbox; a trailing `/` makes it a Maildir (§3). */
function pathProblem(path: string | undefined, maildir: boolean): string | null {
  if (!path || !/^[/.]/.test(path)) return "must begin with '/' or '.'";
  if (maildir && !path.endsWith('/')) return "must end with '/' (a Maildir)";
  if (!maildir && path.endsWith('/')) return "must not end with '/', which makes it a Maildir";
  // §3: /dev/null is taken for an mbox and the delivery fails; discard is a `#` file.
  if (!maildir && path === '/dev/null') return 'fails as an mbox: use a discard destination';
  return null;
}

type Target = z.infer<typeof FilterTargetSchema>;

function targetProblem(t: Target): string | null {
  if (t.action === 'forward') return t.to && isForwardAddress(t.to) ? null : 'to must be a full address user@domain';
  if (t.action === 'maildir' || t.action === 'mbox') return pathProblem(t.to, t.action === 'maildir');
  return t.to === undefined ? null : `to is not used by ${t.action}`;
}

/** Problems of one destination as `[subpath, message]`, subpath relative to the destination. */
export function destinationProblems(d: AliasDestination): [string, string][] {
  const out: [string, string][] = [];
  const add = (p: string, m: string | null) => m && out.push([p, m]);
  switch (d.kind) {
    case 'forward':
      add('value', isForwardAddress(d.value) ? null : 'must be a full address user@domain, without blanks or brackets');
      break;
    case 'maildir':
    case 'mbox':
      add('value', pathProblem(d.value, d.kind === 'maildir'));
      break;
    case 'program':
      // `||cmd` would hand sh a command starting with '|' (§3).
      add('value', d.value.startsWith('|') ? "is the command itself, without the leading '|'" : null);
      break;
    case 'filter':
      d.filter.rules.forEach((r, i) => {
        add(`filter.rules[${i}]`, targetProblem(r));
        if (r.field === 'header' && !r.header) add(`filter.rules[${i}].header`, 'names the header to look at');
      });
      add('filter.otherwise', targetProblem(d.filter.otherwise));
      break;
    default:
      break;
  }
  return out;
}

export interface DotQmail {
  content: string;
  /** the autoreply / filter data files, paths relative to the alias home */
  companions: { path: string; content: string }[];
}

/**
 * The file for extension `ext`. A filter goes first: it exits 99 once it has routed the
 * message, and 99 makes qmail-local skip the remaining lines (§3). Discard is a file holding
 * only `#`: an empty file would mean defaultdelivery (§3).
 */
export function renderDotQmail(ext: string, destinations: readonly AliasDestination[], where = 'destinations'): DotQmail {
  // An empty file would mean qmail-start's defaultdelivery, not "nothing" (§3).
  if (destinations.length === 0) throw new UnrenderableValue(where, 'needs at least one destination');
  const ordered = [...destinations.filter((d) => d.kind === 'filter'), ...destinations.filter((d) => d.kind !== 'filter')];
  const companions: DotQmail['companions'] = [];
  let content = '';
  for (const d of ordered) {
    const problem = destinationProblems(d)[0];
    if (problem) throw new UnrenderableValue(`${where}[${destinations.indexOf(d)}].${problem[0]}`, problem[1]);
    switch (d.kind) {
      case 'forward':
        content += `&${d.value}\n`;
        break;
      case 'maildir':
      case 'mbox':
        content += `${d.value}\n`;
        break;
      case 'program':
        content += `|${d.value}\n`;
        break;
      case 'discard':
        content += '#\n';
        break;
      case 'autoreply':
      case 'filter': {
        const path = companionPath(ext, d.kind);
        const program = d.kind === 'autoreply' ? AUTOREPLY_PROGRAM : FILTER_PROGRAM;
        content += `|${program} ${path}\n`;
        companions.push({ path, content: `${JSON.stringify(d.kind === 'autoreply' ? d.autoreply : d.filter, null, 2)}\n` });
        break;
      }
    }
  }
  return { content, companions };
}

const OURS = /^\|qfleet\/bin\/qfleet-(autoreply|filter) (qfleet\/[^\s/]+\.(autoreply|filter))$/;

/**
 * qmail-local's reading (§3): trailing blanks stripped; `#` comments; `|` programs; `/` or
 * `.` mailboxes; `&addr` or any other first character forwards. A file of comments only is a
 * discard; an empty file (defaultdelivery), a blank first line (a temporary error) and
 * `+` lines (notqmail's `+list`) cannot be expressed and are refused. `companion` returns the
 * content of a data file named relative to the alias home.
 */
export function parseDotQmail(content: string, companion: (path: string) => string | undefined = () => undefined): ParseResult<AliasDestination> {
  const out: ParseResult<AliasDestination> = { entries: [], dropped: [], refused: [] };
  if (content === '') {
    out.refused.push({ line: 1, message: "empty: qmail delivers by qmail-start's defaultdelivery" });
    return out;
  }
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const comments: LineNote[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = stripTrailing(raw, ' \t');
    const refuse = (message: string) => out.refused.push({ line, message });
    if (text === '') {
      if (i === 0) refuse('blank first line: qmail-local defers every message');
      else out.dropped.push({ line, message: 'blank line skipped' });
      return;
    }
    if (text.startsWith('#')) return comments.push({ line, message: 'comment dropped' });
    if (/[\r\0]/.test(text) || /^\s/.test(text)) return refuse('has a carriage return, NUL or leading blank');
    if (text.startsWith('+')) return refuse("a '+' line (notqmail's +list) is not modelled");
    const ours = OURS.exec(text);
    if (ours && ours[1] === ours[3]) {
      const kind = ours[1] as 'autoreply' | 'filter';
      const data = companion(ours[2] ?? '');
      if (data === undefined) return refuse(`${ours[2]} is missing`);
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        return refuse(`${ours[2]} is not JSON`);
      }
      if (kind === 'autoreply') {
        const r = AutoreplySchema.safeParse(json);
        return r.success ? out.entries.push({ kind, autoreply: r.data }) : refuse(`${ours[2]} is not a valid autoreply`);
      }
      const r = FilterSchema.safeParse(json);
      return r.success ? out.entries.push({ kind, filter: r.data as Filter }) : refuse(`${ours[2]} is not a valid filter`);
    }
    if (text.startsWith('|')) {
      const cmd = text.slice(1);
      return cmd.trim() === cmd && cmd !== '' ? out.entries.push({ kind: 'program', value: cmd }) : refuse('a program line with blanks around the command');
    }
    if (text.startsWith('/') || text.startsWith('.')) return out.entries.push({ kind: text.endsWith('/') ? 'maildir' : 'mbox', value: text });
    const addr = text.startsWith('&') ? text.slice(1) : text;
    return addr !== '' && addr.trim() === addr ? out.entries.push({ kind: 'forward', value: addr }) : refuse('a forward line with blanks around the address');
  });
  // Comments alone make a non-empty file without deliveries: the message is dropped (§3).
  if (out.entries.length === 0 && out.refused.length === 0 && comments.length > 0) out.entries.push({ kind: 'discard' });
  // A loop, not push(...comments): spreading 100,000 comment lines overflows the stack (RangeError).
  else for (const c of comments) out.dropped.push(c);
  out.dropped.sort((a, b) => a.line - b.line);
  return out;
}

/** A mailbox line of a `.qmail` file: where qmail-local delivers, relative to the home unless absolute. */
export interface DotQmailMailbox {
  /** as written, without a Maildir's trailing / */
  path: string;
  format: 'maildir' | 'mbox';
}

/**
 * The mailbox lines of a `.qmail` file, as qmail-local tells them apart (QMAIL.md §3): a line
 * that starts with `/` or `.` is a mailbox, a Maildir when it ends in `/`, an mbox otherwise
 * (trailing blanks stripped first); comments, programs and forwards are not mailboxes.
 */
export function dotQmailMailboxes(content: string): DotQmailMailbox[] {
  const out: DotQmailMailbox[] = [];
  for (const raw of content.split('\n')) {
    const text = stripTrailing(raw, ' \t');
    if (!text.startsWith('/') && !text.startsWith('.')) continue;
    if (/[\r\0]/.test(text)) continue;
    const maildir = text.endsWith('/');
    const path = maildir ? text.replace(/\/+$/, '') : text;
    if (path === '' || path === '.') continue;
    out.push({ path, format: maildir ? 'maildir' : 'mbox' });
  }
  return out;
}
