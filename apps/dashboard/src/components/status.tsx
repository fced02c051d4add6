import { isFailed, isPending } from '@qfleet/protocol/ui';
import type { Host } from '../api';

export type RevisionState = 'in-sync' | 'pending' | 'failed';

/**
 * A revision the agent refused is not resent by itself (Contract), so it shows until fixed.
 * The same predicates as the API's `state` filter (libs/protocol host-states.ts).
 */
export function revisionState(h: Host): RevisionState {
  if (isFailed(h)) return 'failed';
  return isPending(h) ? 'pending' : 'in-sync';
}

export function ConnectedDot({ connected }: { connected: boolean }) {
  return (
    <span className={`dot ${connected ? 'dot-on' : 'dot-off'}`} title={connected ? 'agent connected' : 'agent not connected'}>
      <span className="sr-only">{connected ? 'connected' : 'offline'}</span>
    </span>
  );
}

export function QmailState({ qmail }: { qmail: Host['qmail'] }) {
  if (!qmail) return <span className="muted">unknown</span>;
  if (!qmail.installed) return <span className="bad">not installed</span>;
  if (qmail.running === null) return <span>installed</span>;
  return qmail.running ? <span className="good">running</span> : <span className="warn">stopped</span>;
}
