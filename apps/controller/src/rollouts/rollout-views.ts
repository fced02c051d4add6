import { ROLLOUT_HOST_STATES, type FleetTarget, type RolloutHostsQuery, type HealthGate, type RolloutCounts, type RolloutHostView, type RolloutKind, type RolloutStatus, type RolloutSummary, type RolloutView } from '@qfleet/protocol';
import type { Rollout, RolloutHost } from '../generated/prisma/client';
import type { PrismaService } from '../database/prisma.service';

/** Host states that count against `maxFailures`. */
export const FAILED_STATES = ['failed', 'timeout'] as const;
/** Host states that still wait for an ack: a late one moves them on (a held host's, once its drift is settled). */
export const OPEN_STATES = ['applying', 'offline', 'timeout', 'held'] as const;

/** How many hosts of a rollout are in one state in one batch: what a summary is made of. */
export interface StateTally {
  state: string;
  batch: number;
  hosts: number;
}

/**
 * The tallies of some rollouts, counted by the database: a summary (sent on every progress
 * event, listed 50 at a time) needs no host rows.
 */
export async function talliesOf(prisma: PrismaService, rolloutIds: string[]): Promise<Map<string, StateTally[]>> {
  const groups = await prisma.rolloutHost.groupBy({ by: ['rolloutId', 'state', 'batch'], where: { rolloutId: { in: rolloutIds } }, _count: { _all: true } });
  const out = new Map<string, StateTally[]>();
  for (const g of groups) out.set(g.rolloutId, [...(out.get(g.rolloutId) ?? []), { state: g.state, batch: g.batch, hosts: g._count._all }]);
  return out;
}

function countStates(tallies: StateTally[]): RolloutCounts {
  const counts = Object.fromEntries(ROLLOUT_HOST_STATES.map((s) => [s, 0])) as RolloutCounts;
  for (const t of tallies) counts[t.state as keyof RolloutCounts] += t.hosts;
  return counts;
}

export function failuresOf(counts: RolloutCounts): number {
  return FAILED_STATES.reduce((n, s) => n + counts[s], 0);
}

export function summaryOf(r: Rollout, tallies: StateTally[]): RolloutSummary {
  const counts = countStates(tallies);
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
    overwriteDrift: r.overwriteDrift,
    batch: r.batch,
    batches: tallies.reduce((n, t) => Math.max(n, t.batch + 1), 0),
    counts,
    failures: failuresOf(counts),
  };
}

/** The summary, counted over every host, and one page of the hosts (`total`: hosts matching the page's state). */
export function viewOf(r: Rollout, tallies: StateTally[], rows: RolloutHost[], query: RolloutHostsQuery, total: number): RolloutView {
  return {
    ...summaryOf(r, tallies),
    hostsPage: { page: query.page, pageSize: query.pageSize, state: query.state ?? null, total },
    hosts: rows.map(
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
