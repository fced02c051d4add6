import type { ApplyAck, PostStep, QmailState, QueueStats } from './agent-events';
import type { HostDocument } from './document';
import type { DRIFT_POLICIES } from './api';
import type { FieldProblem } from './validation';

/**
 * The controller's answers as JSON on the wire (dates as ISO strings), shared by the
 * controller that sends them and the dashboard and CLI that read them.
 */

export type DriftPolicy = (typeof DRIFT_POLICIES)[number];

/** The agent's acknowledgement of a revision, with when the controller received it. */
export type ApplyResult = ApplyAck & { at: string };

/** The latest queue figures an agent reported (qmail-qstat plus a qmail-qread walk). */
export type QueueFigures = Omit<QueueStats, 'domains'>;

export interface HostView {
  id: string;
  name: string;
  groups: string[];
  connected: boolean;
  lastSeen: string | null;
  desiredRevision: number;
  appliedRevision: number;
  failedRevision: number | null;
  lastApply: ApplyResult | null;
  driftPolicy: DriftPolicy;
  /** managed files whose bytes on the host differ from the applied revision */
  drift: string[];
  agentVersion: string | null;
  qmail: QmailState | null;
  queue: QueueFigures | null;
  /**
   * the desired revision is kept back: sending it would overwrite files edited on the host
   * (issue 12) until the edit is adopted or reverted, or a rollout overwrites drift
   */
  held: boolean;
}

/**
 * `/ui` `hosts`: the hosts whose view changed in the last second, and the ids of hosts that
 * are gone. `resync`: too many changed to send; refetch what is shown.
 */
export interface HostsDelta {
  changed: HostView[];
  removed: string[];
  resync?: true;
}

export interface CreatedHost {
  id: string;
  name: string;
  groups: string[];
  /** shown once */
  enrollToken: string;
}

/**
 * `POST /api/hosts/bulk`: every host created, in the order given, each with its one-time enrol
 * token; on a dry run `created` is empty and `count` says how many would have been.
 */
export interface BulkCreatedHosts {
  dryRun: boolean;
  count: number;
  created: CreatedHost[];
}

export interface ConfigView {
  revision: number;
  document: HostDocument;
}

/**
 * A change that decides what runs on the mail host (SECURITY.md, issue 10 hole 5): a `|program`
 * delivery added or altered (it runs `sh -c` as the alias user or an assigned uid), or a
 * `users/assign` entry added or altered (it decides the uid, and so whose `.qmail` programs
 * run). Removing either is not privileged. Only admins make them, unless the controller's
 * policy lets operators (an allowlisted program, or operator assignments).
 */
export interface PrivilegedChange {
  /** in the document that was written: `aliases[3].destinations[0]`, `assignments[1]` */
  path: string;
  kind: 'program' | 'assignment';
  /** the command, or the assignment as `=address user uid:gid home` */
  value: string;
}

export interface WriteResult {
  revision: number;
  warnings: FieldProblem[];
  /** what this revision adds or alters that runs programs or picks a uid */
  privileged: PrivilegedChange[];
}

/** `PUT|PATCH …/config?dryRun=true`: what the write would do, nothing stored or sent. */
export interface ConfigDryRunView {
  dryRun: true;
  /** the latest revision now; a real write would store the next */
  revision: number;
  warnings: FieldProblem[];
  privileged: PrivilegedChange[];
  /** fields the document manages now that the new one leaves out: their files are left as they are, no longer managed */
  unmanaged: string[];
  /** the file-level diff against the files the host last reported, and the post-steps */
  changes: PlannedChange[];
  postSteps: PostStep[];
}

/** At most this many members of a group get their whole plan in a group's dry run; the rest are counted. */
export const GROUP_PLAN_MEMBERS = 20;

/** One member in a group's dry run: what its next revision would do to its files, or why it would be refused. */
export interface GroupMemberPlan {
  id: string;
  name: string;
  /** the member's latest revision now; the write would store the next */
  revision: number;
  /** set when the member's new effective document would be refused (invalid, or privileged beyond the caller's role); nothing else then */
  error?: string;
  warnings: FieldProblem[];
  privileged: PrivilegedChange[];
  /** the file-level diff against the files the member last reported, and the post-steps (as a host's dry run) */
  changes: PlannedChange[];
  postSteps: PostStep[];
}

/**
 * `PUT|PATCH /api/groups/:name/config?dryRun=true`: what the write would do to every member,
 * nothing stored or sent. The first GROUP_PLAN_MEMBERS members (by name) in full, every member in the counts.
 */
export interface GroupConfigDryRunView {
  dryRun: true;
  /** the group's revision now */
  revision: number;
  /** program deliveries and assignments the group's document adds or alters */
  privileged: PrivilegedChange[];
  members: GroupMemberPlan[];
  /** over every member: how many there are, how many would get a file change, how many would be refused */
  counts: { members: number; changed: number; refused: number };
  /** members not in `members` (counted only) */
  more: number;
}

export interface PlannedChange {
  path: string;
  action: 'create' | 'modify' | 'remove';
  /** unified diff, when the controller knows the bytes on the host */
  diff?: string;
}

export interface PlanView {
  desiredRevision: number;
  appliedRevision: number;
  reportedAt: string | null;
  changes: PlannedChange[];
  postSteps: PostStep[];
  /** program deliveries and assignments the desired revision adds or alters over the applied one */
  privileged: PrivilegedChange[];
}

/** What reading a host's files gave: the document, and what it could not hold. */
export interface ImportResult {
  document: HostDocument;
  /** null on a dry run */
  revision: number | null;
  unmodelled: { path: string; reason: string }[];
  notes: FieldProblem[];
  warnings: FieldProblem[];
  /**
   * Each managed file whose bytes are not already what qfleet writes (issue 12): `keep`, it
   * means what the document says, so it stays byte for byte until the operator changes its
   * field, and `reason` says what that later rewrite would change ("rewrite: comments would be
   * dropped"); `write`, the document means something else ("meaning differs: adds b.example"),
   * so the import's apply writes it; `remove`, the document removes it.
   */
  files: ImportFilePlan[];
}

export interface ImportFilePlan {
  path: string;
  action: 'keep' | 'write' | 'remove';
  reason: string;
}

/** Waiting remote mail for one destination domain, summed over the fleet. */
export interface DomainStats {
  domain: string;
  hosts: string[];
  messages: number;
  recipients: number;
  nextRetryAt: string | null;
  oldestQueuedAt: string | null;
}

export type QueuePoint = Omit<QueueFigures, 'at'> & { at: string };

export interface QueueSeries {
  step: number;
  fleet: QueuePoint[];
  hosts: Record<string, QueuePoint[]>;
}

/** One host's part of a fleet-wide queue find or purge. */
export interface HostMatch {
  hostId: string;
  name: string;
  connected: boolean;
  count: number;
  ids: number[];
  error?: string;
  deleted?: number;
}
