/**
 * TEMPORARY stand-in for the parts of `@qfleet/qmail` that the apply code needs, while that
 * library is being written. Delete this file and import from '@qfleet/qmail' instead once it
 * exports isManagedPath, postStepsFor, GENERATED_BY and sha256 (the only import site is
 * ./qmail.ts).
 */
import { createHash } from 'node:crypto';
import type { PostStep } from '@qfleet/protocol';

// The control files of QMAIL.md §1 that qfleet manages (DESIGN.md "The agent: applying safely").
const CONTROL_FILES = new Set([
  'me', 'locals', 'virtualdomains', 'percenthack', 'rcpthosts', 'morercpthosts', 'badmailfrom',
  'databytes', 'smtpgreeting', 'localiphost', 'timeoutsmtpd', 'smtproutes', 'helohost',
  'timeoutconnect', 'timeoutremote', 'concurrencylocal', 'concurrencyremote', 'queuelifetime',
  'bouncefrom', 'bouncehost', 'doublebouncehost', 'doublebounceto', 'envnoathost',
  'defaultdomain', 'defaulthost', 'plusdomain', 'idhost', 'qmqpservers', 'defaultdelivery',
  'concurrencyincoming',
]);

// QMAIL.md §5 "What each change needs".
const HUP_FILES = new Set(['control/locals', 'control/virtualdomains']);
const RESTART_FILES = new Set(
  ['me', 'percenthack', 'concurrencylocal', 'concurrencyremote', 'queuelifetime', 'bouncefrom', 'bouncehost',
    'doublebouncehost', 'doublebounceto', 'envnoathost', 'defaultdelivery'].map((f) => `control/${f}`),
);

export const GENERATED_BY: Record<string, { source: string; step: PostStep }> = {
  'control/morercpthosts.cdb': { source: 'control/morercpthosts', step: 'qmail-newmrh' },
  'users/cdb': { source: 'users/assign', step: 'qmail-newu' },
};

export function isManagedPath(path: string): boolean {
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return false;
  if (parts[0] === 'control') return parts.length === 2 && CONTROL_FILES.has(parts[1]);
  if (parts[0] === 'users') return parts.length === 2 && parts[1] === 'assign';
  if (parts[0] === 'alias') {
    if (parts.length === 2) return parts[1].startsWith('.qmail-') && parts[1].length > 7;
    return parts.length === 3 && parts[1] === 'qfleet';
  }
  return false;
}

export function postStepsFor(changedPaths: string[]): PostStep[] {
  const changed = new Set(changedPaths);
  const steps: PostStep[] = [];
  if (changed.has('users/assign')) steps.push('qmail-newu');
  if (changed.has('control/morercpthosts')) steps.push('qmail-newmrh');
  const restart = changedPaths.some((p) => RESTART_FILES.has(p));
  // A restart rereads everything, so a HUP beside it adds nothing.
  if (restart) steps.push('restart');
  else if (changedPaths.some((p) => HUP_FILES.has(p))) steps.push('hup');
  return steps;
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
