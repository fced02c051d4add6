/**
 * apply (issue 11): the real agent's apply code (apps/agent/src/apply: path checks, diff against
 * disk, journal of what it replaces, durable temp write, rename, directory fsync, applied state)
 * writing K changed files (`--files 1,10,100`: control/locals plus K-1 aliases) to a qmail tree
 * on disk, against the least a durable write of the same bytes takes: per file a temp file
 * written and fsynced, renamed over the file, then each directory fsynced once. Goal: the
 * apply within 2× of that. Each figure is the median of `--runs` (default 9) rounds, the two
 * alternating so that load on the machine falls on both. No post-step runs: aliases need none,
 * and the HUP for control/locals is skipped without a service backend (as on a host where
 * qmail-send is not supervised); the time is the agent's own.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConfigApply } from '@qfleet/protocol';
import { appliesSettled, applyRevision, type ApplyContext } from '../apps/agent/src/apply';
import { createPostStepRunner } from '../apps/agent/src/post-steps';
import { QmailTree } from '../test/support/qmail-tree';
import { machineLine } from './machine';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = (option('files') ?? '1,10,100').split(',').map(Number);
const RUNS = Number(option('runs') ?? 9);
const GOAL = 2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** K files as the controller renders them; `round` changes every file's bytes. */
function filesFor(k: number, round: number): ConfigApply['files'] {
  const files: ConfigApply['files'] = [{ path: 'control/locals', content: `localhost\nexample.com\nround${round}.example\n`, mode: 0o644 }];
  for (let i = 1; i < k; i++) files.push({ path: `alias/.qmail-bench${i}`, content: `&team${i}@corp.example\n&round${round}@corp.example\n`, mode: 0o644 });
  return files;
}

/** The floor: what any durable replace of these files costs. */
async function rawWrite(home: string, files: ConfigApply['files']): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) {
    const target = path.join(home, f.path);
    const tmp = `${path.dirname(target)}/.raw-tmp.${process.pid}`;
    const fh = await fsp.open(tmp, 'w', f.mode);
    try {
      await fh.writeFile(f.content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, target);
    dirs.add(path.dirname(target));
  }
  for (const d of dirs) {
    const dh = await fsp.open(d, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}

async function bench(k: number): Promise<number> {
  const agentTree = new QmailTree();
  const rawTree = new QmailTree();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-bench-apply-state-'));
  const log = () => undefined;
  const ctx: ApplyContext = { qmailHome: agentTree.home, stateDir, log, postSteps: createPostStepRunner({ qmailHome: agentTree.home, log }) };
  try {
    // Round 0 creates the files; every timed round then changes all K of them.
    const first = await applyRevision(ctx, { revision: 1, files: filesFor(k, 0), removes: [], postSteps: [] });
    if (!first.ok) throw new Error(`apply failed: ${JSON.stringify(first.error)}`);
    await rawWrite(rawTree.home, filesFor(k, 0));
    const agentMs: number[] = [];
    const rawMs: number[] = [];
    for (let round = 1; round <= RUNS; round++) {
      const files = filesFor(k, round);
      const agentFirst = round % 2 === 1;
      for (const which of agentFirst ? ['agent', 'raw'] : ['raw', 'agent']) {
        const t = performance.now();
        if (which === 'agent') {
          const ack = await applyRevision(ctx, { revision: round + 1, files, removes: [], postSteps: [] });
          if (!ack.ok || ack.changed.length !== k) throw new Error(`apply of round ${round}: ${JSON.stringify(ack)}`);
          agentMs.push(performance.now() - t);
          // The journal's removal runs after the ack; it is not timed, and not left to slow the raw write.
          await appliesSettled(ctx.stateDir);
        } else {
          await rawWrite(rawTree.home, files);
          rawMs.push(performance.now() - t);
        }
      }
    }
    for (const f of filesFor(k, RUNS)) {
      if (fs.readFileSync(path.join(agentTree.home, f.path), 'utf8') !== f.content) throw new Error(`${f.path} does not hold what the agent was sent`);
    }
    const a = median(agentMs);
    const r = median(rawMs);
    const ratio = a / r;
    console.log(
      `K=${k}: agent apply ${a.toFixed(2)} ms (${(a / k).toFixed(3)} ms/file); raw write+fsync+rename ${r.toFixed(2)} ms (${(r / k).toFixed(3)} ms/file); ratio ${ratio.toFixed(2)}x; goal within ${GOAL}x: ${ratio <= GOAL ? 'met' : 'NOT MET'}`,
    );
    return ratio;
  } finally {
    agentTree.remove();
    rawTree.remove();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`apply: K changed files, median of ${RUNS} rounds, on ${os.tmpdir()}; ${machineLine()}`);
  for (const k of SIZES) await bench(k);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
