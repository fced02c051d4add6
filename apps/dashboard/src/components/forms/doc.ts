import type { FieldProblem, HostDocument } from '@qfleet/protocol';
import { INTEGER_FIELDS, LIST_FIELDS, SINGLE_LINE_FIELDS } from '@qfleet/protocol/ui';

/**
 * A host's or a group's document as the forms hold it. A group's document may also carry
 * `remove` (libs/qmail LayerSchema); the forms keep it untouched, the Advanced tab edits it.
 * While the operator types, a value may not yet fit the schema (an integer field holding
 * "12a"): it is sent as typed, and the controller's 400 names it beside the field.
 */
export type ConfigDocument = HostDocument & { remove?: unknown };
export type DocKey = keyof HostDocument;

/** docs/document.md "Managed, removed, empty": absent, `null`, or a value. */
export type ManagedState = 'unmanaged' | 'removed' | 'managed';

export function stateOf(doc: ConfigDocument, key: DocKey): ManagedState {
  if (!(key in doc) || doc[key] === undefined) return 'unmanaged';
  return doc[key] === null ? 'removed' : 'managed';
}

/** The document with `key` set; `undefined` takes the key out (not managed). */
export function withField(doc: ConfigDocument, key: DocKey, value: unknown): ConfigDocument {
  const next: Record<string, unknown> = { ...doc };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next as ConfigDocument;
}

/** What a field starts as when the operator switches it to managed. */
export function initialValue(key: DocKey): unknown {
  if ((INTEGER_FIELDS as readonly string[]).includes(key)) return 0;
  if ((SINGLE_LINE_FIELDS as readonly string[]).includes(key)) return '';
  if (key === 'openRelay') return false;
  return [];
}

/** Top-level fields whose value differs, with how their managed state moves. */
export interface FieldChange {
  key: string;
  from: ManagedState;
  to: ManagedState;
}

export function changedFields(before: ConfigDocument, after: ConfigDocument): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => JSON.stringify((before as Record<string, unknown>)[k]) !== JSON.stringify((after as Record<string, unknown>)[k]))
    .map((k) => ({ key: k, from: stateOf(before, k as DocKey), to: stateOf(after, k as DocKey) }));
}

export const SECTIONS = ['locals', 'aliases', 'accepted', 'virtual', 'routing', 'options', 'assignments'] as const;
export type Section = (typeof SECTIONS)[number];

/** Webmin's qmail module pages, under the names it gave them. */
export const SECTION_LABELS: Record<Section, string> = {
  locals: 'Local domains',
  aliases: 'Mail aliases',
  accepted: 'Accepted domains',
  virtual: 'Virtual mappings',
  routing: 'Domain routing',
  options: 'Options',
  assignments: 'User assignments',
};

const SECTION_OF: Record<string, Section> = {
  locals: 'locals',
  aliases: 'aliases',
  rcpthosts: 'accepted',
  morercpthosts: 'accepted',
  openRelay: 'accepted',
  virtualdomains: 'virtual',
  smtproutes: 'routing',
  assignments: 'assignments',
  ...Object.fromEntries([...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS, 'badmailfrom', 'percenthack'].map((f) => [f, 'options'])),
};

/** The form page that shows a field path, or undefined (`remove.…`, the whole document). */
export function sectionOf(path: string): Section | undefined {
  return SECTION_OF[/^[A-Za-z]+/.exec(path)?.[0] ?? ''];
}

const scalar = [...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS, 'openRelay'].join('|');
const list = LIST_FIELDS.join('|');
const I = String.raw`\[\d+\]`;
const opt = (s: string) => `(?:${s})?`;
const filterTarget = String.raw`\.(?:action|to)`;
const destination = `${I}${opt(String.raw`\.(?:kind|value|autoreply${opt(String.raw`\.(?:subject|body|from|periodSec)`)}|filter${opt(String.raw`\.(?:rules${opt(`${I}${opt(String.raw`\.(?:field|header|contains|negate|action|to)`)}`)}|otherwise${opt(filterTarget)})`)})`)}`;

/** Every path the forms show errors beside (each such element renders <FieldError path>). */
const SHOWN = new RegExp(
  '^(?:' +
    [
      `(?:${scalar})`,
      `(?:${list})${opt(I)}`,
      `virtualdomains${opt(`${I}${opt(String.raw`\.(?:match|prefix)`)}`)}`,
      `smtproutes${opt(`${I}${opt(String.raw`\.(?:domain|relay|port)`)}`)}`,
      `assignments${opt(`${I}${opt(String.raw`\.(?:kind|address|user|uid|gid|home|dash|ext)`)}`)}`,
      `aliases${opt(`${I}${opt(String.raw`\.(?:name|domain|destinations${opt(destination)})`)}`)}`,
    ].join('|') +
    ')$',
);

/**
 * The path of the element a problem is shown beside: the path itself when the forms show it,
 * else its nearest shown parent (`aliases[0].destinations[1].autoreply` → `…destinations[1]`),
 * else "" (shown above the forms).
 */
export function anchorOf(path: string): string {
  let p = path;
  while (p && !SHOWN.test(p)) {
    const up = p.replace(/(?:\.[^.[\]]+|\[\d+\])$/, '');
    p = up === p ? '' : up;
  }
  return p;
}

/** Problems by the element they are shown beside. */
export function placeProblems(problems: readonly FieldProblem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const at = anchorOf(p.path);
    const note = at === p.path ? p.message : `${p.path.slice(at.length).replace(/^\./, '')}: ${p.message}`;
    out.set(at, [...(out.get(at) ?? []), note]);
  }
  return out;
}

/** The file an alias is written to (docs/document.md "aliases"): `.` → `:`, lowercase, the domain's prefix. */
export function aliasFile(name: string, domain: string | undefined, virtualdomains: HostDocument['virtualdomains']): string | undefined {
  if (!name) return undefined;
  let ext = name.toLowerCase().replace(/\./g, ':');
  if (domain) {
    const vd = (virtualdomains ?? []).find((v) => v.match.toLowerCase() === domain.toLowerCase());
    if (!vd?.prefix) return undefined;
    ext = `${vd.prefix.toLowerCase()}-${ext}`;
  }
  return `alias/.qmail-${ext}`;
}

/** `o` without `key`: an optional member taken out, as the schema's `optional` reads it. */
export function omit<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const next = { ...o };
  delete next[key];
  return next;
}
