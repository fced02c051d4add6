import { z } from 'zod';
import {
  HostDocumentSchema,
  INTEGER_FIELDS,
  LIST_FIELDS,
  SINGLE_LINE_FIELDS,
  nonEmptyLine,
  qmailLine,
  type IntegerField,
  type ListField,
  type SingleLineField,
} from '@qfleet/protocol';

/**
 * The one change form of layering and rollouts (DESIGN.md "Contract", "Layering … and rollouts
 * use one change form"). Entries are named by their key only: a string list's value, an
 * alias's `name`+`domain`, an assignment's `kind`+`address`, a virtual domain's `match`, a
 * route's `domain`.
 */
const listRemovals = Object.fromEntries(LIST_FIELDS.map((f) => [f, z.array(nonEmptyLine).optional()])) as Record<
  ListField,
  z.ZodOptional<z.ZodArray<typeof nonEmptyLine>>
>;

export const RemoveSchema = z.strictObject({
  ...listRemovals,
  aliases: z.array(z.strictObject({ name: nonEmptyLine, domain: nonEmptyLine.optional() })).optional(),
  assignments: z.array(z.strictObject({ kind: z.enum(['exact', 'prefix']), address: qmailLine })).optional(),
  virtualdomains: z.array(z.strictObject({ match: qmailLine })).optional(),
  smtproutes: z.array(z.strictObject({ domain: qmailLine })).optional(),
});

/** A group's or the host's own document, with what it takes away from the layers before it. */
export const LayerSchema = HostDocumentSchema.extend({ remove: RemoveSchema.optional() });

const shape = HostDocumentSchema.shape;

/** Lists to add to: the document's shapes, never `null` (to stop a list, a layer says `null`). */
const listAdditions = Object.fromEntries(LIST_FIELDS.map((f) => [f, shape[f].unwrap().unwrap().optional()])) as {
  [F in ListField]: z.ZodOptional<ReturnType<ReturnType<(typeof shape)[F]['unwrap']>['unwrap']>>;
};

export const ChangeAddSchema = z.strictObject({
  ...listAdditions,
  aliases: shape.aliases.unwrap().unwrap().optional(),
  assignments: shape.assignments.unwrap().unwrap().optional(),
  virtualdomains: shape.virtualdomains.unwrap().unwrap().optional(),
  smtproutes: shape.smtproutes.unwrap().unwrap().optional(),
});

/** Scalars as the document has them: a value, or `null` for managed and removed. */
export const ChangeSetSchema = HostDocumentSchema.pick(
  Object.fromEntries([...SINGLE_LINE_FIELDS, ...INTEGER_FIELDS, 'openRelay'].map((f) => [f, true])) as Record<
    SingleLineField | IntegerField | 'openRelay',
    true
  >,
);

/** A rollout's `change`: `{add?, remove?, set?}` (DESIGN.md "Contract"). */
export const ChangeSchema = z.strictObject({
  add: ChangeAddSchema.optional(),
  remove: RemoveSchema.optional(),
  set: ChangeSetSchema.optional(),
});

export type RemoveSpec = z.infer<typeof RemoveSchema>;
export type Layer = z.infer<typeof LayerSchema>;
export type Change = z.infer<typeof ChangeSchema>;
export type ChangeAdd = z.infer<typeof ChangeAddSchema>;
