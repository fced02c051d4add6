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
}

export interface CreatedHost {
  id: string;
  name: string;
  groups: string[];
  /** shown once */
  enrollToken: string;
}

export interface ConfigView {
  revision: number;
  document: HostDocument;
}

export interface WriteResult {
  revision: number;
  warnings: FieldProblem[];
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
}

/** What reading a host's files gave: the document, and what it could not hold. */
export interface ImportResult {
  document: HostDocument;
  /** null on a dry run */
  revision: number | null;
  unmodelled: { path: string; reason: string }[];
  notes: FieldProblem[];
  warnings: FieldProblem[];
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
