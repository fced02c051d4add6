import type { ConfigApply, Hello } from '@qfleet/protocol';
import { sha256 } from '@qfleet/qmail';

/**
 * What the controller holds of this host once it has stored the ok ack of APPLY, given the
 * facts it was last told (LAST): the applied revision is APPLY's, the files it removed are
 * gone and the files it wrote have their new hashes (the controller merges exactly these into
 * the host's reported hashes with the ack). Everything else is as last told.
 */
export function factsAfterAck(last: Hello, apply: Pick<ConfigApply, 'revision' | 'files' | 'removes'>): Hello {
  const files = { ...last.files };
  for (const path of apply.removes) delete files[path];
  for (const f of apply.files) files[f.path] = sha256(f.content);
  return { ...last, appliedRevision: apply.revision, files };
}

/** Whether two reports say the same (the order of the files aside). */
export function sameFacts(a: Hello, b: Hello): boolean {
  if (a.agentVersion !== b.agentVersion || a.appliedRevision !== b.appliedRevision) return false;
  if (a.qmail.installed !== b.qmail.installed || a.qmail.running !== b.qmail.running || (a.qmail.since ?? null) !== (b.qmail.since ?? null)) return false;
  const paths = Object.keys(a.files);
  return paths.length === Object.keys(b.files).length && paths.every((p) => b.files[p] === a.files[p]);
}

/**
 * An apply that took this long may have outlived the controller's wait for its ack (60 s by
 * default, QFLEET_APPLY_TIMEOUT_MS), and then only a report tells it the revision was applied.
 */
export const SLOW_APPLY_MS = 10_000;

/**
 * Whether the report after an apply would tell the controller anything its ack does not. After
 * an ok apply it mostly would not: the report every agent sent after every apply was about a
 * quarter of the controller's CPU in a 10,000-host rollout and group change (bench/fanout),
 * to say again what the ack had just stored. It is still sent when something else moved: a
 * restart (qmail's `since`), a reported file the apply did not write, an apply that failed or
 * was slow (SLOW_APPLY_MS), or nothing told yet on this connection.
 */
export function reportNeededAfterApply(ack: { ok: boolean; ms: number }, lastTold: Hello | undefined, apply: Pick<ConfigApply, 'revision' | 'files' | 'removes'>, now: Hello): boolean {
  return !ack.ok || ack.ms >= SLOW_APPLY_MS || !lastTold || !sameFacts(factsAfterAck(lastTold, apply), now);
}
