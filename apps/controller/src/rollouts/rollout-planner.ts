import { isDeepStrictEqual } from 'node:util';
import { Injectable } from '@nestjs/common';
import { describeProblems } from '@qfleet/protocol';
import { applyChangeToLayer, fieldsTakenOver, unmanageAgain, type Change, type Layer, type RenderedSet } from '@qfleet/qmail';
import { heldPaths } from '../host-config/rendered';
import { HostConfigService, type RevisionBatch, type RevisionPreview } from '../host-config/host-config.service';
import type { Prisma } from '../generated/prisma/client';
import type { PrismaService } from '../database/prisma.service';
import { firstOfKey, jsonKey, valuesByKey } from '../database/once-per-key';

/**
 * What deciding and sending a rollout's revision read of a host: a chunk of 500 is read at a
 * time, and the rest of the row (the secrets, the last apply, the qmail facts) was read and
 * parsed for nothing.
 */
export const PLANNED_COLUMNS = {
  id: true,
  name: true,
  groups: true,
  desiredRevision: true,
  appliedRevision: true,
  failedRevision: true,
  reportedFiles: true,
  lastSeen: true,
} satisfies Prisma.HostSelect;
export type PlannedHost = Prisma.HostGetPayload<{ select: typeof PLANNED_COLUMNS }>;

/**
 * The planned columns of these hosts, by id, from one statement: the ids as one JSON parameter
 * (Prisma's `IN` binds one parameter per host), and the reported hashes sent once per distinct
 * value and shared (the hosts of a fleet mostly report the same files), not parsed per host.
 */
export async function plannedHosts(db: Pick<PrismaService, '$queryRawUnsafe'>, ids: string[]): Promise<Map<string, PlannedHost>> {
  const rows = await db.$queryRawUnsafe<(PlannedHost & { reportedKey: string | null })[]>(
    `SELECT "id", "name", "groups", "desiredRevision", "appliedRevision", "failedRevision", "lastSeen", ${jsonKey('"reportedFiles"')} AS "reportedKey",
            ${firstOfKey('"reportedFiles"', jsonKey('"reportedFiles"'))} AS "reportedFiles"
       FROM "Host" WHERE "id" = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))`,
    JSON.stringify(ids),
  );
  const reported = valuesByKey(rows.map((r) => ({ key: r.reportedKey, value: r.reportedFiles })));
  return new Map(rows.map(({ reportedKey, ...r }) => [r.id, { ...r, reportedFiles: reported.get(reportedKey) ?? null }]));
}

/** What one host of a rollout is asked to become. */
export type HostGoal = { kind: 'change'; change: Change } | { kind: 'revert'; restoreRevision: number; expectRevision: number };

export type HostDecision =
  | { outcome: 'change'; nextOwn: Layer; preview: RevisionPreview }
  | { outcome: 'unchanged'; preview: RevisionPreview }
  | { outcome: 'skipped' | 'invalid'; error: string; preview?: RevisionPreview };

/**
 * Decides what a rollout does to one host. The dry run and the real run both call this, so
 * what a dry run shows is what the rollout does.
 */
@Injectable()
export class RolloutPlanner {
  constructor(private readonly config: HostConfigService) {}

  /**
   * `plan`: also the file diff against the host's files (a dry run shows it; a real run needs
   * none). `batch`: what an operation over many hosts read once for all of them.
   */
  async decide(host: PlannedHost, goal: HostGoal, opts: { plan?: boolean } = {}, batch?: RevisionBatch): Promise<HostDecision> {
    if (goal.kind === 'revert') {
      if (host.desiredRevision !== goal.expectRevision)
        return { outcome: 'skipped', error: `changed since: the host is at revision ${host.desiredRevision}, the rollout left it at ${goal.expectRevision}; revert it by hand` };
      const restored = await this.config.documentAt(host.id, goal.restoreRevision);
      if (!restored) return { outcome: 'skipped', error: `revision ${goal.restoreRevision} of this host is gone` };
      const preview = await this.config.preview(host, () => restored, opts, batch);
      // A field absent from a document is left as it is on the host: what the rollout started
      // managing must be taken back explicitly.
      const again = unmanageAgain(preview.effective, preview.effectiveBefore);
      if (Object.keys(again).length) return this.judge(await this.config.preview(host, () => ({ ...restored, ...again }), opts, batch), null);
      return this.judge(preview, null);
    }
    // The change object is one per rollout: hosts with the same revision content and groups share one preview.
    const preview = await this.config.preview(host, (own, groups) => applyChangeToLayer(own, goal.change, groups), opts, batch, goal.change);
    return this.judge(preview, goal.change, (host.reportedFiles as Record<string, string> | null) ?? {});
  }

  /**
   * The drifted files of a host that a change's revision would overwrite (host-config/rendered
   * heldPaths), against the revision the host applied: from the batch read when that is the
   * latest one, else read here.
   */
  async heldBy(host: PlannedHost, preview: RevisionPreview, batch?: RevisionBatch): Promise<string[]> {
    const reported = (host.reportedFiles as Record<string, string> | null) ?? {};
    if (host.appliedRevision === 0 || !Object.keys(reported).length) return [];
    const latest = batch?.latest.get(host.id);
    const applied = latest?.revision === host.appliedRevision ? latest.rendered : (await this.config.renderingAt(host.id, host.appliedRevision));
    return heldPaths((applied as unknown as RenderedSet | null) ?? null, preview.rendering, reported);
  }

  private judge(preview: RevisionPreview, change: Change | null, reported: Record<string, string> = {}): HostDecision {
    const takenOver = change ? fieldsTakenOver(preview.effectiveBefore, change, reported) : [];
    if (takenOver.length)
      return {
        outcome: 'skipped',
        preview,
        error: `${takenOver.join(', ')} ${takenOver.length > 1 ? 'are' : 'is'} not managed on this host: the change would replace the host's file unseen; import the host or manage the field first`,
      };
    if (preview.errors.length) return { outcome: 'invalid', preview, error: `invalid configuration: ${describeProblems(preview.errors)}` };
    if (isDeepStrictEqual(preview.nextOwn, preview.own)) return { outcome: 'unchanged', preview };
    return { outcome: 'change', nextOwn: preview.nextOwn, preview };
  }
}
