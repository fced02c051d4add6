import { z } from 'zod';
import { relativePath } from './values';

/**
 * `GET /api/hosts/:id/drift/files`: the bytes of drifted files as the agent reads them now,
 * beside what qfleet would write, so an operator sees the edit before adopting or reverting it.
 */

/** Files per request: each may be up to the agent's 1 MiB read cap, twice (desired and on the host). */
export const MAX_DRIFT_FILES_PER_REQUEST = 20;

export const DriftFilesQuerySchema = z.strictObject({
  /** one drifted path or several (`?path=a&path=b`); absent: the first drifted files in order */
  path: z
    .union([
      relativePath,
      z
        .array(relativePath)
        .max(
          MAX_DRIFT_FILES_PER_REQUEST,
          `at most ${MAX_DRIFT_FILES_PER_REQUEST} paths per request`,
        ),
    ])
    .optional()
    .transform((p) =>
      p === undefined ? undefined : Array.isArray(p) ? p : [p],
    ),
});
export type DriftFilesQuery = z.infer<typeof DriftFilesQuerySchema>;

export const DriftFileSchema = z.strictObject({
  path: relativePath,
  /** what the desired revision writes; null: the revision removes the file */
  desired: z.string().nullable(),
  /** the file on the host now; null: absent, or not read (then `skipped` says why) */
  onHost: z.string().nullable(),
  /** why the agent did not read it: a link, not text, too large… (the agent never follows a link) */
  skipped: z.string().optional(),
  /** unified diff from the desired bytes (`qfleet/<path>`) to the host's (`host/<path>`); absent when unread */
  diff: z.string().optional(),
});
export type DriftFile = z.infer<typeof DriftFileSchema>;

export const DriftFilesViewSchema = z.strictObject({
  /** the revision `desired` is from: what a revert writes */
  desiredRevision: z.number().int().min(0),
  appliedRevision: z.number().int().min(0),
  files: z.array(DriftFileSchema),
  /** drifted files not in this answer (ask for them by `path`) */
  more: z.number().int().min(0),
});
export type DriftFilesView = z.infer<typeof DriftFilesViewSchema>;

/** `GET /api/hosts/:id/effective`: the merged document and where each value comes from. */
export const EffectiveViewSchema = z.strictObject({
  document: z.record(z.string(), z.unknown()),
  /**
   * `me`, `locals`, `locals[0]`, `aliases[2]` → the layer that gave it: `group:<name>` or
   * `host` (the host's own document). A list field's own key names the last layer that set
   * the list; each entry's key, the layer that entry comes from.
   */
  origin: z.record(z.string(), z.string()),
  /** the layers in merge order: the host's groups in its order, then `host` */
  layers: z.array(z.string()),
});
export type EffectiveView = z.infer<typeof EffectiveViewSchema>;
