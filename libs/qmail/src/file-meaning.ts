import { isDeepStrictEqual } from 'node:util';
import type { HostDocument } from '@qfleet/protocol';
import { controlLines, lowerAscii, parseInteger, parseLine } from './control';
import { fieldForPath } from './fields';
import { VIRTUALDOMAINS_PATH, matchKey, parseVirtualDomains } from './virtualdomains';
import { SMTPROUTES_PATH, parseSmtpRoutes } from './smtproutes';
import { ASSIGN_PATH, parseAssign } from './assign';
import { parseAliasFile } from './alias-import';

/**
 * Whether the host's own spelling of a managed file means what the rendered file means, read
 * the way qmail reads it (QMAIL.md §0, §2, §3). Import and adopt keep the host's bytes of such
 * a file (issue 12): comments, case, `&`-less forwards stay until the operator changes the
 * field, and nothing is written, HUPed or restarted for a change that changes nothing.
 */
export type FileComparison =
  | { same: 'bytes' }
  /** `rewrite`: what a later write of the field would change in the file, e.g. "comments would be dropped" */
  | { same: 'meaning'; rewrite: string }
  /** `why`: the difference in meaning, e.g. "adds b.example" */
  | { same: false; why: string };

export interface MeaningContext {
  /** the effective document: its virtualdomains give alias prefixes, envnoathost / me qualify forwards */
  doc: HostDocument;
  /** companion data files (alias/qfleet/…) of the host and of the rendering, by path under the qmail home */
  hostFile?: (path: string) => string | undefined;
  renderedFile?: (path: string) => string | undefined;
}

type Meaning = { ok: true; value: unknown } | { ok: false; why: string };

const LIST_LIKE_FORWARD = /^[A-Za-z0-9]/;

/** What qmail makes of one file's content; `companion` reads alias/qfleet/ data files. */
function meaningOf(path: string, content: string, doc: HostDocument, companion: (p: string) => string | undefined): Meaning {
  const spec = fieldForPath(path);
  if (spec?.kind === 'line') return { ok: true, value: parseLine(content) };
  if (spec?.kind === 'integer') return { ok: true, value: parseInteger(content) ?? null };
  if (spec?.kind === 'list') {
    // constmap: membership, case-insensitive; order and repeats change nothing (QMAIL.md §0).
    const set = new Set(controlLines(content).lines.map((l) => lowerAscii(l.text)));
    return { ok: true, value: [...set].sort() };
  }
  if (path === VIRTUALDOMAINS_PATH || path === SMTPROUTES_PATH) {
    // A colon map: key case-insensitive, the later of two equal keys wins (QMAIL.md §0).
    const r = path === VIRTUALDOMAINS_PATH ? parseVirtualDomains(content) : parseSmtpRoutes(content);
    if (r.refused.length) return { ok: false, why: `line ${r.refused[0]!.line}: ${r.refused[0]!.message}` };
    const map = new Map<string, unknown>();
    for (const e of r.entries as ({ match: string; prefix: string } | { domain: string; relay: string; port?: number })[]) {
      if ('match' in e) map.set(matchKey(e.match), e.prefix);
      else map.set(lowerAscii(e.domain), e.port === undefined ? e.relay : `${e.relay}:${e.port}`);
    }
    return { ok: true, value: [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  }
  if (path === ASSIGN_PATH) {
    const r = parseAssign(content);
    if (r.refused.length) return { ok: false, why: `line ${r.refused[0]!.line}: ${r.refused[0]!.message}` };
    return { ok: true, value: r.entries };
  }
  if (path.startsWith('alias/.qmail-')) {
    const r = parseAliasFile(path.slice('alias/.qmail-'.length), content, { doc, companion: (p) => companion(`alias/${p}`) });
    if ('reason' in r) return { ok: false, why: r.reason };
    return { ok: true, value: r.alias.destinations };
  }
  // Anything else (alias/qfleet/ data files): its bytes are its meaning.
  return { ok: true, value: content };
}

/** What writing qfleet's form of the file over the host's would visibly change. */
function rewriteReasons(path: string, onHost: string, rendered: string): string {
  const reasons: string[] = [];
  const lines = onHost.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else reasons.push('a final newline would be added');
  const spec = fieldForPath(path);
  const singleLine = spec?.kind === 'line' || spec?.kind === 'integer';
  const body = singleLine ? lines.slice(0, 1) : lines;
  const rest = singleLine ? lines.slice(1) : [];
  if (body.some((l) => l.startsWith('#'))) reasons.push('comments would be dropped');
  if (body.some((l) => l.trim() === '')) reasons.push('blank lines would be dropped');
  if (rest.some((l) => l.trim() !== '')) reasons.push('lines after the first (which qmail never reads) would be dropped');
  const entries = body.filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (entries.some((l) => /[ \t]$/.test(l))) reasons.push('trailing blanks would be dropped');
  if (entries.some((l) => l !== lowerAscii(l)) && !entries.every((l) => rendered.includes(l.replace(/[ \t]+$/, '')))) reasons.push('case would change');
  if (path.startsWith('alias/.qmail-') && entries.some((l) => LIST_LIKE_FORWARD.test(l))) reasons.push("'&' would be added to forward lines");
  if (path.startsWith('alias/.qmail-') && entries.some((l) => /^&?[^@|/.#]+$/.test(l))) reasons.push('unqualified forwards would be written with their domain');
  const kept = entries.map((l) => lowerAscii(l.replace(/[ \t]+$/, '')));
  if (new Set(kept).size < kept.length) reasons.push('repeated entries would be dropped');
  if (!reasons.length) reasons.push("the file would be written in qfleet's form");
  return `rewrite: ${reasons.join(', ')}`;
}

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/** The difference between two meanings, in words. */
function describeDifference(onHost: unknown, rendered: unknown): string {
  if (Array.isArray(onHost) && Array.isArray(rendered) && [...onHost, ...rendered].every((v) => typeof v === 'string')) {
    const a = new Set(onHost as string[]);
    const b = new Set(rendered as string[]);
    const added = [...b].filter((x) => !a.has(x));
    const removed = [...a].filter((x) => !b.has(x));
    const parts = [added.length ? `adds ${added.join(', ')}` : '', removed.length ? `removes ${removed.join(', ')}` : ''].filter(Boolean);
    if (parts.length) return parts.join('; ');
  }
  return `the host has ${short(onHost)}, the document ${short(rendered)}`;
}

/**
 * Compares the host's content of a managed file with the rendered content. Both are read in
 * the context of the effective document (the prefixes and envnoathost qmail would use).
 */
export function compareHostFile(path: string, onHost: string, rendered: string, ctx: MeaningContext): FileComparison {
  if (onHost === rendered) return { same: 'bytes' };
  const a = meaningOf(path, onHost, ctx.doc, ctx.hostFile ?? (() => undefined));
  const b = meaningOf(path, rendered, ctx.doc, ctx.renderedFile ?? (() => undefined));
  if (!a.ok) return { same: false, why: `the host's file cannot be read as qfleet reads it (${a.why})` };
  if (!b.ok) return { same: false, why: `the rendered file cannot be read back (${b.why})` };
  if (isDeepStrictEqual(a.value, b.value)) return { same: 'meaning', rewrite: rewriteReasons(path, onHost, rendered) };
  return { same: false, why: `meaning differs: ${describeDifference(a.value, b.value)}` };
}
