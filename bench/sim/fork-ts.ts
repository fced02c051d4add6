import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * Forks a TypeScript module of bench/ in a process of its own (ts-node, transpile only, with
 * the workspace's path aliases), whether the parent runs under ts-node or jest.
 *
 * Through `sh`, which first raises the process's soft limit on open files to its hard limit
 * (each simulated agent holds a socket; a worker of 10,000 agents needs more than the usual
 * 1,024). Where the hard limit is the soft one, this changes nothing. `exec` keeps the IPC
 * channel node set up for the child.
 */
export function forkTs(file: string, name: string): ChildProcess {
  const node = [process.execPath, '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', file];
  return spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...node], {
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO, 'bench', 'tsconfig.json'), QFLEET_SIM_PROCESS: name },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
