import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_MAIN, Proc, spawnNode, waitFor } from './processes';
import type { TestController } from './controller';

/** A real agent process (the built bundle) managing a qmail tree. */
export function startAgent(opts: {
  controllerUrl: string;
  token?: string;
  qmailHome: string;
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  name?: string;
  /** another build of the agent (benchmarks compare two); the dist bundle by default */
  main?: string;
  /** Node/V8 flags before the bundle, as the run scripts in deploy/ pass them */
  nodeArgs?: string[];
}): { proc: Proc; stateDir: string } {
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-agent-'));
  const args = ['--controller', opts.controllerUrl, '--qmail-home', opts.qmailHome, '--state-dir', stateDir, '--report-interval', '1', ...(opts.args ?? [])];
  if (opts.token) args.push('--token', opts.token);
  return { proc: spawnNode(opts.main ?? AGENT_MAIN, args, { ...opts.env }, opts.name ?? 'agent', opts.nodeArgs), stateDir };
}

/** A real agent for a host the controller has, returned once the controller sees it connected. */
export async function connectAgent(
  ctl: TestController,
  host: { id: string; enrollToken: string },
  opts: { qmailHome: string; args?: string[]; name?: string },
): Promise<Proc> {
  const { proc } = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, ...opts });
  try {
    await waitFor('the agent to connect', async () => (await ctl.host(host.id)).connected);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return proc;
}
