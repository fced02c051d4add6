import type { FleetTarget, RolloutCounts, RolloutHostState, RolloutStatus } from '../api';

/** The order a rollout's hosts are counted in: done, then failed, then still to come. */
const STATE_ORDER: RolloutHostState[] = ['applied', 'unchanged', 'failed', 'timeout', 'reverted', 'skipped', 'applying', 'offline', 'held', 'pending'];

/** Bar segments: each host state falls into one. */
const SEGMENTS: { className: string; states: RolloutHostState[] }[] = [
  { className: 'seg-done', states: ['applied', 'unchanged'] },
  { className: 'seg-failed', states: ['failed', 'timeout'] },
  { className: 'seg-other', states: ['reverted', 'skipped', 'held'] },
  { className: 'seg-busy', states: ['applying', 'offline'] },
];

export const total = (counts: RolloutCounts) => STATE_ORDER.reduce((n, s) => n + counts[s], 0);

/** Hosts the rollout is done with, whatever the outcome. */
export const finishedHosts = (counts: RolloutCounts) => total(counts) - counts.pending - counts.applying - counts.offline;

export function RolloutStatusBadge({ status, testId = 'rollout-status' }: { status: RolloutStatus; testId?: string }) {
  return (
    <span className={`status status-${status}`} data-testid={testId} data-status={status}>
      {status}
    </span>
  );
}

/** The share of hosts done, failed and in flight; pending hosts are the empty rest. */
export function ProgressBar({ counts, large }: { counts: RolloutCounts; large?: boolean }) {
  const all = total(counts);
  return (
    <span
      className={`progress ${large ? 'progress-large' : ''}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={all}
      aria-valuenow={finishedHosts(counts)}
      title={countsText(counts)}
      data-testid="rollout-progress"
    >
      {all > 0 &&
        SEGMENTS.map((seg) => {
          const n = seg.states.reduce((sum, s) => sum + counts[s], 0);
          return n > 0 ? <span key={seg.className} className={seg.className} style={{ width: `${(n / all) * 100}%` }} /> : null;
        })}
    </span>
  );
}

/** "2 applied · 1 failed · 3 pending": the states some host is in. */
export function countsText(counts: RolloutCounts): string {
  const parts = STATE_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(' · ') : 'no hosts';
}

export function Counts({ counts }: { counts: RolloutCounts }) {
  const shown = STATE_ORDER.filter((s) => counts[s] > 0);
  if (!shown.length) return <span className="muted">no hosts</span>;
  return (
    <span className="counts" data-testid="rollout-counts">
      {shown.map((s, i) => (
        <span key={s} data-testid="rollout-count" data-state={s} data-count={counts[s]}>
          {i > 0 && ' · '}
          <span className={stateClass(s)}>
            {counts[s]} {s}
          </span>
        </span>
      ))}
    </span>
  );
}

export function stateClass(state: RolloutHostState): string {
  if (state === 'applied') return 'good';
  if (state === 'failed' || state === 'timeout') return 'bad';
  if (state === 'applying' || state === 'offline' || state === 'reverted') return 'warn';
  return 'muted';
}

/** Groups as tags, hosts by count (the target names them by id). */
export function TargetText({ target }: { target: FleetTarget }) {
  const groups = target.groups ?? [];
  const hosts = target.hosts?.length ?? 0;
  return (
    <>
      {groups.map((g) => (
        <span key={g} className="tag">
          {g}
        </span>
      ))}
      {(target.names ?? []).map((n) => (
        <code key={n} className="tag">
          {n}
        </code>
      ))}
      {hosts > 0 && (
        <span className="muted">
          {groups.length + (target.names?.length ?? 0) > 0 && '+ '}
          {hosts} {hosts === 1 ? 'host' : 'hosts'}
        </span>
      )}
    </>
  );
}

/** Whether the page follows the controller live, or falls back to polling. */
export function LiveState({ live, problem }: { live: boolean; problem?: string }) {
  return (
    <span className="muted small live-state" data-testid="live-state" data-live={String(live)} title={problem ?? (live ? 'progress arrives as it happens' : 'connecting…')}>
      <span className={`dot ${live ? 'dot-on' : 'dot-off'}`} /> {live ? 'live' : problem ? 'not live: polling' : 'connecting…'}
    </span>
  );
}
