import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_MAIN, Proc, spawnNode } from './processes';

/** A real agent process (the built bundle) managing a qmail tree. */
export function startAgent(opts: {
  controllerUrl: string;
  token?: string;
  qmailHome: string;
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  name?: string;
}): { proc: Proc; stateDir: string } {
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-agent-'));
  const args = ['--controller', opts.controllerUrl, '--qmail-home', opts.qmailHome, '--state-dir', stateDir, '--report-interval', '1', ...(opts.args ?? [])];
  if (opts.token) args.push('--token', opts.token);
  return { proc: spawnNode(AGENT_MAIN, args, { ...opts.env }, opts.name ?? 'agent'), stateDir };
}
