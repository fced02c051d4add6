/**
 * The syscalls of K=1 applies, for strace (issue 11): the bench's apply without the raw writes, so
 * `strace -f -c -e trace=fsync,fdatasync,rename,openat` counts only the agent's apply. ROUNDS
 * applies of one changed control/locals after a first one that creates it.
 * See bench/README.md for the strace command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyRevision, type ApplyContext } from '../apps/agent/src/apply';
import { createPostStepRunner } from '../apps/agent/src/post-steps';
import { QmailTree } from '../test/support/qmail-tree';

const args = process.argv.slice(2);
const i = args.indexOf('--rounds');
const ROUNDS = i >= 0 ? Number(args[i + 1]) : 10;

async function main() {
  const tree = new QmailTree();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-apply-syscalls-'));
  const log = () => undefined;
  const ctx: ApplyContext = { qmailHome: tree.home, stateDir, log, postSteps: createPostStepRunner({ qmailHome: tree.home, log }) };
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const ack = await applyRevision(ctx, { revision: round + 1, files: [{ path: 'control/locals', content: `localhost\nround${round}.example\n`, mode: 0o644 }], removes: [], postSteps: [] });
      if (!ack.ok) throw new Error(JSON.stringify(ack));
    }
  } finally {
    tree.remove();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
