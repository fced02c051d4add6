import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * Forks a TypeScript module of bench/ in a process of its own (ts-node, transpile only, with
 * the workspace's path aliases), whether the parent runs under ts-node or jest.
 */
export function forkTs(file: string, name: string): ChildProcess {
  return fork(file, [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO, 'bench', 'tsconfig.json'), QFLEET_SIM_PROCESS: name },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
