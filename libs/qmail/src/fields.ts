import {
  INTEGER_FIELDS,
  LIST_FIELDS,
  SINGLE_LINE_FIELDS,
  type IntegerField,
  type ListField,
  type PostStep,
  type SingleLineField,
} from '@qfleet/protocol';

/** The document fields that are one control file each (DESIGN.md "The desired state"). */
export type ControlField = SingleLineField | IntegerField | ListField;

/** How qmail reads the file (QMAIL.md §0). */
export type ControlKind = 'line' | 'integer' | 'list';

export interface FieldSpec {
  field: ControlField;
  /** relative to the qmail home */
  path: string;
  kind: ControlKind;
  /** what a change to the file needs before qmail sees it (QMAIL.md §1 and §5) */
  postStep: PostStep | null;
}

/**
 * QMAIL.md §5 "What each change needs": qmail-send reads these only at start, so a HUP is
 * not enough; `percenthack` in particular is ignored by a HUP (§1).
 */
const RESTART_FIELDS: ReadonlySet<ControlField> = new Set<ControlField>([
  'me',
  'percenthack',
  'concurrencylocal',
  'concurrencyremote',
  'queuelifetime',
  'bouncefrom',
  'bouncehost',
  'doublebouncehost',
  'doublebounceto',
  'envnoathost',
]);

function postStepOf(field: ControlField): PostStep | null {
  // §5: a HUP rereads `locals` (and virtualdomains) only.
  if (field === 'locals') return 'hup';
  // §1: qmail-smtpd reads morercpthosts.cdb, not the text file.
  if (field === 'morercpthosts') return 'qmail-newmrh';
  if (RESTART_FIELDS.has(field)) return 'restart';
  // smtpd, remote and inject files are read afresh by every run (§1, §5 "nothing").
  return null;
}

function spec(field: ControlField, kind: ControlKind): FieldSpec {
  return { field, path: `control/${field}`, kind, postStep: postStepOf(field) };
}

/** Every control-file field of the document, in the protocol's order. */
export const FIELD_TABLE: readonly FieldSpec[] = [
  ...SINGLE_LINE_FIELDS.map((f) => spec(f, 'line')),
  ...INTEGER_FIELDS.map((f) => spec(f, 'integer')),
  ...LIST_FIELDS.map((f) => spec(f, 'list')),
];

const BY_FIELD = new Map<string, FieldSpec>(FIELD_TABLE.map((s) => [s.field, s]));
const BY_PATH = new Map<string, FieldSpec>(FIELD_TABLE.map((s) => [s.path, s]));

/** A name that is not a control-file field of the document. */
export class UnknownField extends Error {
  constructor(readonly field: string) {
    super(`${field} is not a control-file field of the document`);
    this.name = 'UnknownField';
  }
}

export function isControlField(field: string): field is ControlField {
  return BY_FIELD.has(field);
}

export function fieldSpec(field: string): FieldSpec {
  const s = BY_FIELD.get(field);
  if (!s) throw new UnknownField(field);
  return s;
}

/** `locals` → `control/locals`. */
export function fieldFile(field: string): string {
  return fieldSpec(field).path;
}

/** `control/locals` → its spec; undefined for a path that is not one field's file. */
export function fieldForPath(path: string): FieldSpec | undefined {
  return BY_PATH.get(path);
}
