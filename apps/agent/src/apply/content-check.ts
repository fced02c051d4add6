import { posix } from 'node:path';
import type { ConfigApply } from '@qfleet/protocol';
import { parseAssign } from '@qfleet/qmail';
import { StepError } from './step-error';

/**
 * What the agent refuses to write whatever the controller says (a controller is one more thing
 * that can be compromised): a users/assign entry for uid 0, which qmail-lspawn refuses anyway
 * (`if (!getuid()) _exit(QLX_ROOT)`), or whose home is not a normalized absolute path
 * (`/home/../root`), since the mailbox view and deliveries trust that home.
 */
export function checkContents(msg: ConfigApply): void {
  const assign = msg.files.find((f) => f.path === 'users/assign');
  if (!assign) return;
  for (const a of parseAssign(assign.content).entries) {
    const entry = `${a.kind === 'exact' ? '=' : '+'}${a.address}`;
    if (a.uid === 0) throw new StepError('validate', `entry ${entry} assigns uid 0: qmail never delivers as root`, 'users/assign');
    if (!a.home.startsWith('/') || posix.normalize(a.home) !== a.home.replace(/(.)\/$/, '$1')) {
      throw new StepError('validate', `entry ${entry} has home ${a.home}: not a normalized absolute path`, 'users/assign');
    }
  }
}
