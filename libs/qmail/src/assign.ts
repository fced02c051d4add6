import { MAX_PATH_LENGTH, issuePath, type Assignment, type FieldProblem, type HostDocument } from '@qfleet/protocol';
import { UnrenderableValue, lowerAscii, type ParseResult } from './control';

/** users/assign (QMAIL.md §2), compiled into users/cdb by qmail-newu. */
export const ASSIGN_PATH = 'users/assign';

const TEXT_FIELDS = ['address', 'user', 'home', 'dash', 'ext'] as const;

/** qmail-lspawn lowercases the local part before the lookup (QMAIL.md §2), so keys are stored lowercase. */
function keyOf(a: Assignment): string {
  return `${a.kind}:${lowerAscii(a.address)}`;
}

/**
 * Why a field would be misread: qmail-newu splits on ':' (§2), so a ':' moves every later
 * field; a newline starts a new entry and a NUL makes qmail-newu refuse the whole file.
 */
function fieldProblem(value: string): string | null {
  if (/[\n\r\0]/.test(value)) return 'must not contain a newline or NUL';
  if (value.includes(':')) return "must not contain ':', the field separator";
  return null;
}

/**
 * A home qmail-lspawn chdirs into and the agent's mailbox API opens: absolute and normalized.
 * `/home/../root` is absolute too, and names a directory other than the one it appears to;
 * `//`, `.` and a trailing `/` make two spellings of one home.
 */
export function homeProblem(home: string): string | null {
  if (!home.startsWith('/')) return 'must be an absolute path';
  if (home.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (home === '/') return null;
  if (home.endsWith('/')) return "must not end with '/'";
  const parts = home.slice(1).split('/');
  if (parts.includes('')) return "must not contain '//'";
  if (parts.some((p) => p === '.' || p === '..')) return "must not contain '.' or '..' segments";
  return null;
}

function line(a: Assignment): string {
  const sigil = a.kind === 'exact' ? '=' : '+';
  return `${sigil}${lowerAscii(a.address)}:${a.user}:${a.uid}:${a.gid}:${a.home}:${a.dash ?? ''}:${a.ext ?? ''}:\n`;
}

/** Document order, the first of two equal keys kept (qmail-newu keeps the first too, §2), then `.`. */
export function renderAssign(assignments: readonly Assignment[]): string {
  const seen = new Set<string>();
  let out = '';
  assignments.forEach((a, i) => {
    for (const f of TEXT_FIELDS) {
      const problem = fieldProblem(a[f] ?? '');
      if (problem) throw new UnrenderableValue(`${issuePath(['assignments', i])}.${f}`, problem);
    }
    const key = keyOf(a);
    if (seen.has(key)) return;
    seen.add(key);
    out += line(a);
  });
  // qmail-newu refuses a file without the final `.` line (§2).
  return `${out}.\n`;
}

/**
 * What qmail-newu compiles. Reading stops at the first line starting with `.`; every other
 * line must be `=` or `+` (qmail takes anything else as `=`, so a would-be comment becomes an
 * entry: refused, not guessed); fewer than 6 ':' after the key or no final `.` and qmail-newu
 * refuses the file (§2). Later duplicates are dropped: the first entry wins.
 */
export function parseAssign(content: string): ParseResult<Assignment> {
  const out: ParseResult<Assignment> = { entries: [], dropped: [], refused: [] };
  const seen = new Map<string, number>();
  const lines = content.split('\n');
  let ended = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const n = i + 1;
    if (text.startsWith('.')) {
      ended = true;
      const rest = lines.slice(i + 1).join('\n');
      if (rest.trim() !== '') out.dropped.push({ line: n + 1, message: 'after the final `.`, qmail-newu ignores it' });
      break;
    }
    if (i === lines.length - 1 && text === '') break;
    const refuse = (message: string) => out.refused.push({ line: n, message });
    if (text.includes('\0')) { refuse('holds a NUL: qmail-newu refuses the file'); continue; }
    const sigil = text[0];
    if (sigil !== '=' && sigil !== '+') { refuse("does not begin with '=' or '+': qmail would read it as an exact entry"); continue; }
    const fields = text.slice(1).split(':');
    if (fields.length < 8) { refuse('has fewer than 6 colons after the key: qmail-newu refuses the file'); continue; }
    const [address = '', user = '', uidText = '', gidText = '', home = '', dash = '', ext = ''] = fields;
    if (!/^[0-9]+$/.test(uidText) || !/^[0-9]+$/.test(gidText)) { refuse('uid and gid must be decimal numbers'); continue; }
    if (user === '' || home === '') { refuse('needs a user and a home directory'); continue; }
    if ([address, user, home, dash, ext].some((f) => /[\r\0]/.test(f) || f.trim() !== f)) { refuse('a field has blanks around it or a control character'); continue; }
    const a: Assignment = { kind: sigil === '=' ? 'exact' : 'prefix', address: lowerAscii(address), user, uid: Number(uidText), gid: Number(gidText), home };
    if (dash !== '') a.dash = dash;
    if (ext !== '') a.ext = ext;
    const key = keyOf(a);
    const earlier = seen.get(key);
    if (earlier !== undefined) { out.dropped.push({ line: n, message: `duplicates line ${earlier}, which wins` }); continue; }
    seen.set(key, n);
    out.entries.push(a);
  }
  if (!ended) out.refused.push({ line: lines.length, message: 'no final `.` line: qmail-newu refuses the file' });
  return out;
}

export function validateAssignments(doc: HostDocument): { errors: FieldProblem[]; warnings: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const first = new Map<string, number>();
  (doc.assignments ?? []).forEach((a, i) => {
    const at = issuePath(['assignments', i]);
    for (const f of TEXT_FIELDS) {
      const problem = fieldProblem(a[f] ?? '');
      if (problem) errors.push({ path: `${at}.${f}`, message: problem });
    }
    if (a.user === '') errors.push({ path: `${at}.user`, message: 'must not be empty' });
    const home = homeProblem(a.home);
    if (home) errors.push({ path: `${at}.home`, message: home });
    // qmail-lspawn: `if (!getuid()) _exit(QLX_ROOT)`; every message for it would bounce, and the
    // mailbox API would serve root's home to any viewer (issue 10).
    if (a.uid === 0) errors.push({ path: `${at}.uid`, message: 'must not be 0: qmail never delivers as root' });
    if (a.address !== lowerAscii(a.address)) {
      warnings.push({ path: `${at}.address`, message: 'qmail lowercases the local part before the lookup; written lowercase' });
    }
    const key = keyOf(a);
    const earlier = first.get(key);
    if (earlier !== undefined) warnings.push({ path: `${at}.address`, message: `duplicates ${issuePath(['assignments', earlier])}, which wins; dropped when rendered` });
    else first.set(key, i);
  });
  return { errors, warnings };
}
