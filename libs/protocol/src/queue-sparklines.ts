import { z } from 'zod';
import { MAX_HOST_PAGE } from './api';

/** The span a fleet-table sparkline covers: the last hour. */
export const SPARKLINE_WINDOW_SEC = 3600;
/** One point a minute: stored samples are one per host per minute, so a finer step adds nothing. */
export const SPARKLINE_STEP_SEC = 60;

/**
 * `POST /api/stats/queues/hosts`: the last hour of queue totals of the named hosts, for the
 * rows of one fleet page (as many ids as a page holds). A POST because a thousand ids do not
 * fit in a query string; it reads only, so a viewer may call it.
 */
export const QueueSparklinesQuerySchema = z.strictObject({
  ids: z
    .array(z.uuid())
    .min(1, 'name at least one host id')
    .max(MAX_HOST_PAGE, `at most ${MAX_HOST_PAGE} host ids per call (one page of hosts)`),
  /** seconds per point; 60 gives 60 points an hour, a larger step fewer */
  step: z.coerce.number().int().min(SPARKLINE_STEP_SEC).max(SPARKLINE_WINDOW_SEC).default(SPARKLINE_STEP_SEC),
});
export type QueueSparklinesQuery = z.infer<typeof QueueSparklinesQuerySchema>;

/**
 * Point i of each host is the bucket starting at `from + i*step` (ISO time); the last one is the
 * current, still open bucket. null: no sample in that bucket (agent away, host new). A host with
 * no sample in the whole hour is left out.
 */
export interface QueueSparklines {
  step: number;
  from: string;
  points: number;
  hosts: Record<string, (number | null)[]>;
}

/** The buckets of the hour up to `nowMs`, aligned to the step: the same grid for every host. */
export function sparklineGrid(nowMs: number, stepSec: number): { fromMs: number; points: number; stepMs: number } {
  const stepMs = stepSec * 1000;
  const points = Math.max(1, Math.floor(SPARKLINE_WINDOW_SEC / stepSec));
  const current = Math.floor(nowMs / stepMs) * stepMs;
  return { fromMs: current - (points - 1) * stepMs, points, stepMs };
}

/** The point a sample at `atMs` falls in, or -1 outside the grid. */
export function sparklineIndex(atMs: number, grid: { fromMs: number; points: number; stepMs: number }): number {
  const i = Math.floor((atMs - grid.fromMs) / grid.stepMs);
  return i >= 0 && i < grid.points ? i : -1;
}
