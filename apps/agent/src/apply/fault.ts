/**
 * Fault injection for the crash tests: the agent passes QFLEET_AGENT_FAULT as ctx.fault.
 * 'crash-after-rename:N' dies right after the N-th rename, 'crash-before-post-steps' after
 * the last one, 'crash-before-seal' once backups, temps and plan are written but before the
 * journal directory is synced (prepare's batch of syncs), 'crash-after-record' once applied.json names the apply and before its journal is
 * dropped. SIGKILL, so nothing (no finally, no rollback) runs: exactly a crash.
 */
export type FaultPoint = { kind: 'after-rename'; count: number } | { kind: 'before-post-steps' } | { kind: 'after-record' } | { kind: 'before-seal' };

export function faultFires(fault: string | undefined, point: FaultPoint): boolean {
  if (!fault) return false;
  if (point.kind === 'before-post-steps') return fault === 'crash-before-post-steps';
  if (point.kind === 'after-record') return fault === 'crash-after-record';
  if (point.kind === 'before-seal') return fault === 'crash-before-seal';
  return fault === `crash-after-rename:${point.count}`;
}

export function maybeCrash(fault: string | undefined, point: FaultPoint): void {
  if (faultFires(fault, point)) process.kill(process.pid, 'SIGKILL');
}
