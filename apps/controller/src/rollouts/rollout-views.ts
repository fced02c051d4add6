import { ROLLOUT_HOST_STATES, type FleetTarget, type HealthGate, type RolloutCounts, type RolloutHostView, type RolloutKind, type RolloutStatus, type RolloutSummary, type RolloutView } from '@qfleet/protocol';
import type { Rollout, RolloutHost } from '../generated/prisma/client';

/** Host states that count against `maxFailures`. */
export const FAILED_STATES = ['failed', 'timeout'] as const;
/** Host states that still wait for an ack: a late one moves them on. */
export const OPEN_STATES = ['applying', 'offline', 'timeout'] as const;

export function countStates(rows: Pick<RolloutHost, 'state'>[]): RolloutCounts {
  const counts = Object.fromEntries(ROLLOUT_HOST_STATES.map((s) => [s, 0])) as RolloutCounts;
  for (const r of rows) counts[r.state as keyof RolloutCounts]++;
  return counts;
}

export function failuresOf(counts: RolloutCounts): number {
  return FAILED_STATES.reduce((n, s) => n + counts[s], 0);
}

export function summaryOf(r: Rollout, rows: Pick<RolloutHost, 'state' | 'batch'>[]): RolloutSummary {
  const counts = countStates(rows);
  return {
    id: r.id,
    kind: r.kind as RolloutKind,
    parentId: r.parentId,
    status: r.status as RolloutStatus,
    reason: r.reason,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    target: r.target as FleetTarget,
    change: r.change,
    batchSize: r.batchSize,
    maxFailures: r.maxFailures,
    batchTimeoutSec: r.batchTimeoutSec,
    health: (r.health as HealthGate | null) ?? null,
    batch: r.batch,
    batches: rows.reduce((n, h) => Math.max(n, h.batch + 1), 0),
    counts,
    failures: failuresOf(counts),
  };
}

export function viewOf(r: Rollout, rows: RolloutHost[]): RolloutView {
  return {
    ...summaryOf(r, rows),
    hosts: [...rows]
      .sort((a, b) => a.position - b.position)
      .map(
        (h): RolloutHostView => ({
          hostId: h.hostId,
          name: h.name,
          batch: h.batch,
          state: h.state as RolloutHostView['state'],
          previousRevision: h.previousRevision,
          revision: h.revision,
          error: h.error,
          sentAt: h.sentAt?.toISOString() ?? null,
          doneAt: h.doneAt?.toISOString() ?? null,
        }),
      ),
  };
}
