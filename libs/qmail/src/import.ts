import { HostDocumentSchema, nonEmptyLine, type Alias, type HostDocument } from '@qfleet/protocol';
import { controlLines, lowerAscii, parseInteger, parseLine, type LineNote, type ParseResult } from './control';
import { fieldForPath, type FieldSpec } from './fields';
import { GENERATED_BY } from './post-steps';
import { VIRTUALDOMAINS_PATH, parseVirtualDomains } from './virtualdomains';
import { SMTPROUTES_PATH, parseSmtpRoutes } from './smtproutes';
import { ASSIGN_PATH, parseAssign } from './assign';
import { parseAliasFile } from './alias-import';

/**
 * Import (DESIGN.md "How a change reaches a host"): the files of an existing server, read
 * the way qmail reads them, become a document. What the document cannot say is listed in
 * `unmodelled` and left alone; what qmail ignores anyway (comments, blank lines, entries that
 * never match) is dropped with a note.
 */
export interface ImportResult {
  document: HostDocument;
  unmodelled: { path: string; reason: string }[];
  notes: { path: string; message: string }[];
}

/** Files that are not ours to model, and why (QMAIL.md §1 "Some files are not part of qmail itself", §2). */
const KNOWN_OTHERS: [RegExp, string][] = [
  [/^control\/defaultdelivery$/, "read by LWQ's rc script, not a document field"],
  [/^control\/concurrencyincoming$/, "read by LWQ's smtpd run script, not a document field"],
  [/^control\/(servercert\.pem|clientcert\.pem|notlshosts\/.*|tlsserverciphers|tlsclientciphers|dh\d+\.pem|rsa\d+\.pem)$/, 'belongs to the TLS patch'],
  [/^users\/(include|exclude|mailnames|subusers|append)$/, 'input of qmail-pw2u, not read by qmail at delivery'],
];

type Out = ImportResult;

/** Line numbers spelled out per note; a file of 100,000 comments gets one short note. */
const MAX_LINES_NAMED = 20;

function lineNotes(out: Out, path: string, notes: LineNote[]): void {
  if (notes.length === 0) return;
  // Appended in place: copying the list per line was quadratic (20,000 comment lines took 15 s).
  const byMessage = new Map<string, number[]>();
  for (const n of notes) {
    const lines = byMessage.get(n.message);
    if (lines) lines.push(n.line);
    else byMessage.set(n.message, [n.line]);
  }
  for (const [message, lines] of byMessage) {
    const shown = lines.length > MAX_LINES_NAMED ? `${lines.slice(0, MAX_LINES_NAMED).join(', ')} and ${lines.length - MAX_LINES_NAMED} more` : lines.join(', ');
    out.notes.push({ path, message: `line${lines.length > 1 ? 's' : ''} ${shown}: ${message}` });
  }
}

/** A parse whose refused lines make the file unmodelled; otherwise its entries and notes. */
function take<T>(out: Out, path: string, r: ParseResult<T>): T[] | undefined {
  if (r.refused.length) {
    out.unmodelled.push({ path, reason: r.refused.map((n) => `line ${n.line}: ${n.message}`).join('; ') });
    return undefined;
  }
  lineNotes(out, path, r.dropped);
  return r.entries;
}

/** One control-field file by its kind's reading rules (QMAIL.md §0). */
function importControl(out: Out, spec: FieldSpec, path: string, content: string): void {
  const doc = out.document as Record<string, unknown>;
  if (spec.kind === 'line') {
    const value = parseLine(content);
    if (!nonEmptyLine.safeParse(value).success) {
      out.unmodelled.push({ path, reason: `first line ${JSON.stringify(value)} cannot be a document value (empty, leading blank or control character)` });
      return;
    }
    if (content.split('\n').slice(1).some((l) => l.trim() !== '')) out.notes.push({ path, message: 'only the first line is read; the rest dropped' });
    doc[spec.field] = value;
  } else if (spec.kind === 'integer') {
    const value = parseInteger(content);
    if (value === undefined) {
      out.notes.push({ path, message: 'does not begin with a digit, so qmail treats it as missing: left unmanaged' });
      return;
    }
    if (value > 4_294_967_295) {
      out.unmodelled.push({ path, reason: 'number too large' });
      return;
    }
    if (parseLine(content) !== String(value)) out.notes.push({ path, message: `read as ${value}; the rest of the file is ignored by qmail` });
    doc[spec.field] = value;
  } else {
    const { lines, skipped } = controlLines(content);
    const notes = [...skipped];
    const seen = new Set<string>();
    const entries: string[] = [];
    for (const { line, text } of lines) {
      // A leading blank or a CR is part of the entry (§0): it never matches, so dropping it keeps the meaning.
      if (!nonEmptyLine.safeParse(text).success) notes.push({ line, message: 'never matches (leading blank or control character): dropped' });
      else if (seen.has(lowerAscii(text))) notes.push({ line, message: 'duplicate dropped' });
      else {
        seen.add(lowerAscii(text));
        entries.push(lowerAscii(text));
      }
    }
    lineNotes(out, path, notes.sort((a, b) => a.line - b.line));
    doc[spec.field] = entries;
  }
}

export function importFiles(files: Record<string, string>): ImportResult {
  const out: Out = { document: {}, unmodelled: [], notes: [] };
  const doc = out.document;
  const aliasFiles: string[] = [];
  for (const path of Object.keys(files).sort()) {
    const content = files[path] ?? '';
    const spec = fieldForPath(path);
    if (spec) importControl(out, spec, path, content);
    else if (path in GENERATED_BY) continue; // built by qmail-newmrh / qmail-newu from their source (§1, §2)
    else if (path === VIRTUALDOMAINS_PATH) {
      const v = take(out, path, parseVirtualDomains(content));
      if (v) doc.virtualdomains = v;
    } else if (path === SMTPROUTES_PATH) {
      const v = take(out, path, parseSmtpRoutes(content));
      if (v) doc.smtproutes = v;
    } else if (path === ASSIGN_PATH) {
      const v = take(out, path, parseAssign(content));
      if (v) doc.assignments = v;
    } else if (path.startsWith('alias/.qmail-')) aliasFiles.push(path);
    else if (path.startsWith('alias/qfleet/')) continue; // read with the alias file that names it
    else {
      const known = KNOWN_OTHERS.find(([re]) => re.test(path));
      out.unmodelled.push({ path, reason: known ? known[1] : 'not a file qfleet models' });
    }
  }

  // After control/: the prefixes come from virtualdomains, unqualified forwards from envnoathost (§1).
  const aliases: Alias[] = [];
  const aliasSources: string[] = [];
  for (const path of aliasFiles) {
    const r = parseAliasFile(path.slice('alias/.qmail-'.length), files[path] ?? '', {
      doc,
      companion: (p) => files[`alias/${p}`],
      others: new Set(aliasFiles),
    });
    if ('reason' in r) out.unmodelled.push({ path, reason: r.reason });
    else {
      lineNotes(out, path, r.dropped);
      for (const message of r.notes) out.notes.push({ path, message });
      aliases.push(r.alias);
      aliasSources.push(path);
    }
  }
  // No alias file taken over: aliases stay unmanaged rather than an empty managed list.
  if (aliases.length) doc.aliases = aliases;

  if (!('control/rcpthosts' in files)) out.notes.push({ path: 'control/rcpthosts', message: 'no control/rcpthosts: this server is an open relay' });

  // The parsers only produce schema values; should one slip through, its file is left alone
  // rather than the whole import failing.
  const check = HostDocumentSchema.safeParse(doc);
  if (!check.success) {
    const badAliases = new Set<number>();
    for (const issue of check.error.issues) {
      const [field, index] = issue.path;
      if (field === 'aliases' && typeof index === 'number') badAliases.add(index);
      else if (typeof field === 'string' && field in doc) {
        delete (doc as Record<string, unknown>)[field];
        out.unmodelled.push({ path: fieldFileOf(field), reason: issue.message });
      }
    }
    if (doc.aliases && badAliases.size) {
      for (const i of badAliases) out.unmodelled.push({ path: aliasSources[i] ?? 'alias/', reason: 'not a valid alias' });
      doc.aliases = doc.aliases.filter((_, i) => !badAliases.has(i));
    }
  }
  return out;
}

function fieldFileOf(field: string): string {
  return { virtualdomains: VIRTUALDOMAINS_PATH, smtproutes: SMTPROUTES_PATH, assignments: ASSIGN_PATH }[field] ?? `control/${field}`;
}
