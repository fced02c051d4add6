import { z } from 'zod';
import type { FieldProblem } from './validation';
import { MAX_HOST_PATTERNS, MAX_HOST_PATTERN_LENGTH } from './limits';
import type { PlannedChange, PrivilegedChange } from './views';
import type { PostStep } from './agent-events';

/**
 * Rollouts: one change to many hosts, in batches (DESIGN.md "How a change reaches a host").
 * The change itself (`{add?, remove?, set?}`) is validated with libs/qmail's ChangeSchema,
 * which knows the document's shapes; what is here is everything around it.
 */

/**
 * Hosts by id, every host of some groups, and every host whose name matches a pattern
 * (`mx*.eu.example.net`, `*` and `?`, any case); the union of the three. Used by rollouts,
 * fleet actions and fleet queue calls.
 */
export const FleetTargetSchema = z
  .strictObject({
    hosts: z.array(z.string().uuid()).max(10_000).optional(),
    groups: z.array(z.string().min(1).max(100)).max(100).optional(),
    // Matched by matchesHostPattern (linear); the limits bound its work per host to 253 × 253 steps.
    names: z
      .array(
        z
          .string()
          .min(1)
          .max(MAX_HOST_PATTERN_LENGTH)
          .regex(/^[A-Za-z0-9.*?_-]+$/, 'must be a host name pattern: letters, digits, . - _ and the wildcards * ?'),
      )
      .max(MAX_HOST_PATTERNS)
      .optional(),
  })
  .refine((t) => (t.hosts?.length ?? 0) + (t.groups?.length ?? 0) + (t.names?.length ?? 0) > 0, { message: 'give hosts, groups or names' });
export type FleetTarget = z.infer<typeof FleetTargetSchema>;

/**
 * Mail signals watched on a batch's hosts after it applied: a wrong smtproutes line shows up
 * as a growing queue within minutes. A signal trips when it passes its threshold during the
 * settle period, having been below it when the batch started.
 */
export const HealthGateSchema = z
  .strictObject({
    settleSeconds: z.number().int().min(1).max(3600),
    /** messages added to one host's queue since the batch started */
    maxQueueGrowth: z.number().int().min(0).optional(),
    /** age in seconds of the oldest queued message on one host */
    maxOldestAgeSec: z.number().int().min(1).optional(),
    /** halt the rollout, or revert the batch's hosts to their previous document and halt */
    onFail: z.enum(['halt', 'revert']).default('halt'),
  })
  .refine((g) => g.maxQueueGrowth !== undefined || g.maxOldestAgeSec !== undefined, { message: 'give maxQueueGrowth or maxOldestAgeSec' });
export type HealthGate = z.infer<typeof HealthGateSchema>;

/** Everything of `POST /api/rollouts` but the change. */
export const RolloutOptionsSchema = z.strictObject({
  target: FleetTargetSchema,
  batchSize: z.number().int().min(1).max(10_000).default(10),
  /** the rollout halts when failed hosts are more than this */
  maxFailures: z.number().int().min(0).default(0),
  dryRun: z.boolean().default(false),
  /** how long a batch waits for each online host's acknowledgement */
  batchTimeoutSec: z.number().int().min(1).max(3600).default(120),
  health: HealthGateSchema.optional(),
  /**
   * Apply even to hosts whose files were edited by hand (drift) where the change would write
   * them; without it such a host is `held` until its drift is adopted or reverted (issue 12).
   */
  overwriteDrift: z.boolean().default(false),
});

export const ResumeRolloutSchema = z.strictObject({
  /** raise the limit of a rollout that halted on failures */
  maxFailures: z.number().int().min(0).optional(),
});

export const ROLLOUT_STATUSES = ['running', 'paused', 'halted', 'cancelled', 'completed'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export const ROLLOUT_KINDS = ['change', 'retry', 'revert'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

/**
 * A host's part in a rollout. `pending`: not reached yet. `applying`: revision sent, waiting
 * for the ack. `offline`: revision stored, the host converges when its agent connects.
 * `applied`/`failed`: the host's ack. `timeout`: no ack in time (counts as a failure; a late
 * ack still updates it). `unchanged`: the host already had the change. `skipped`: not done,
 * with the reason. `reverted`: the health gate took the change back. `held`: revision stored but
 * not sent, since it would overwrite files edited on the host (drift) the operator has not
 * decided on; it goes out once the drift is adopted or reverted (`error` names the files).
 */
export const ROLLOUT_HOST_STATES = ['pending', 'applying', 'offline', 'applied', 'failed', 'timeout', 'unchanged', 'skipped', 'reverted', 'held'] as const;
export type RolloutHostState = (typeof ROLLOUT_HOST_STATES)[number];

export interface RolloutHostView {
  hostId: string;
  name: string;
  batch: number;
  state: RolloutHostState;
  /** the host's revision before this rollout, and the one it stored */
  previousRevision: number | null;
  revision: number | null;
  error: string | null;
  sentAt: string | null;
  doneAt: string | null;
}

export type RolloutCounts = Record<RolloutHostState, number>;

/** What `/ui` streams on every step, and the head of `GET /api/rollouts/:id`. */
export interface RolloutSummary {
  id: string;
  kind: RolloutKind;
  /** the rollout this one retries or reverts */
  parentId: string | null;
  status: RolloutStatus;
  /** why it halted, or was cancelled */
  reason: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  target: FleetTarget;
  change: unknown;
  batchSize: number;
  maxFailures: number;
  batchTimeoutSec: number;
  health: HealthGate | null;
  /** applied over drift rather than holding those hosts */
  overwriteDrift: boolean;
  /** 0-based index of the batch in progress (equal to `batches` once all are done), and how many there are */
  batch: number;
  batches: number;
  counts: RolloutCounts;
  failures: number;
}

/** Which hosts of a rollout `GET /api/rollouts/:id` answers: one page, in rollout order, maybe of one state. */
export const RolloutHostsQuerySchema = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  state: z.enum(ROLLOUT_HOST_STATES).optional(),
});
export type RolloutHostsQuery = z.infer<typeof RolloutHostsQuerySchema>;

export interface RolloutView extends RolloutSummary {
  /** one page of the hosts (`hostsPage`); `counts` covers them all */
  hosts: RolloutHostView[];
  hostsPage: { page: number; pageSize: number; state: RolloutHostState | null; total: number };
}

/** One host in a dry run: the file diff the change would make, and what would stop it. */
export interface RolloutPreviewHost {
  hostId: string;
  name: string;
  batch: number;
  connected: boolean;
  /** would be applied, already has the change, would be skipped or held over drift (reason in `error`) */
  outcome: 'change' | 'unchanged' | 'skipped' | 'invalid' | 'held';
  error: string | null;
  changes: PlannedChange[];
  postSteps: PostStep[];
  warnings: FieldProblem[];
  /** program deliveries and assignments the change adds or alters on this host */
  privileged: PrivilegedChange[];
}

export interface RolloutPreview {
  dryRun: true;
  batches: number;
  hosts: RolloutPreviewHost[];
}

// The `/ui` namespace's names live in a zod-free module, so the dashboard can take them alone.
export { UI_NAMESPACE, UiEvent } from './ui';
