/**
 * How fast the agent reads a big qmail queue (DESIGN.md "The agent", "Data and scale").
 * Builds a queue of BENCH_MESSAGES (default 100,000) messages once under os.tmpdir(), then
 * times scanQueue three times and prints the median in messages per second. When qmail-qread
 * is installed, it also times qmail-qread and scanQueue + formatQread on the queue qmail-qread
 * reads (its path is compiled in: /var/qmail/queue, or $QMAIL_QUEUE) and prints the ratio.
 * Where it is not, it builds bench/qread/qread.c (qmail-qread's walk reimplemented in C) with
 * the C compiler into a temporary directory and compares against that on the bench's queue.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatQread, formatQstat, queueHealthByDomain, queueSummary, scanQueue } from '../libs/qmail/src/queue';
import { QueueFixture } from '../test/support/queue-fixture';
import { machineLine } from './machine';

const N = Number(process.env['BENCH_MESSAGES'] ?? 100_000);
const RUNS = 3;
const base = path.join(os.tmpdir(), `qfleet-bench-queue-${N}`);
const queueDir = path.join(base, 'queue');
const doneMarker = path.join(base, 'complete');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function buildQueue() {
  if (fs.existsSync(doneMarker)) {
    console.log(`reusing ${queueDir}`);
    return;
  }
  fs.rmSync(base, { recursive: true, force: true });
  console.log(`building ${fmt(N)} messages in ${queueDir} …`);
  const t0 = performance.now();
  const fx = new QueueFixture(queueDir);
  const now = Date.now();
  const body = 'Subject: bench\n\n' + 'x'.repeat(400) + '\n';
  for (let i = 0; i < N; i++) {
    // A backlog shaped like a real one: mostly remote, a few busy domains, some bounces.
    const domain = `dest${i % 13 === 0 ? 0 : i % 97}.example`;
    const recipients: { kind: 'local' | 'remote'; address: string; done?: boolean }[] = [];
    if (i % 5 !== 0) recipients.push({ kind: 'remote', address: `user${i}@${domain}` });
    if (i % 3 === 0) recipients.push({ kind: 'remote', address: `other${i}@${domain}`, done: true });
    if (i % 5 === 0 || i % 7 === 0) recipients.push({ kind: 'local', address: `box${i % 500}@here.example` });
    const queuedAt = new Date(now - (i % 604_800) * 1000);
    fx.add({
      sender: i % 20 === 0 ? '' : `sender${i % 1000}@example.com`,
      recipients,
      body,
      queuedAt,
      nextRetry: { remote: new Date(queuedAt.getTime() + 3600_000), local: new Date(queuedAt.getTime() + 400_000) },
      bouncing: i % 20 === 1,
    });
    if ((i + 1) % 20_000 === 0) console.log(`  ${fmt(i + 1)}`);
  }
  fs.writeFileSync(doneMarker, '');
  console.log(`built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function findQread(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v qmail-qread'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  return fs.existsSync('/var/qmail/bin/qmail-qread') ? '/var/qmail/bin/qmail-qread' : undefined;
}

async function main() {
  buildQueue();
  const rates: number[] = [];
  const times: number[] = [];
  let scan = await scanQueue(queueDir);
  for (let run = 1; run <= RUNS; run++) {
    const t0 = performance.now();
    scan = await scanQueue(queueDir);
    const ms = performance.now() - t0;
    times.push(ms);
    rates.push(scan.messages.length / (ms / 1000));
    console.log(`run ${run}: ${fmt(scan.messages.length)} messages in ${ms.toFixed(0)} ms`);
  }
  const t1 = performance.now();
  const text = formatQread(scan.messages);
  const formatMs = performance.now() - t1;
  const t2 = performance.now();
  queueSummary(scan, new Date());
  const domains = queueHealthByDomain(scan, new Date());
  const summaryMs = performance.now() - t2;
  process.stdout.write(formatQstat(scan.counts));
  console.log(`scanQueue median: ${fmt(median(rates))} messages/s (${median(times).toFixed(0)} ms)`);
  console.log(`formatQread: ${formatMs.toFixed(0)} ms, ${fmt(text.length)} bytes; summary + ${domains.length} domains: ${summaryMs.toFixed(0)} ms`);

  console.log(machineLine());
  const qread = findQread();
  if (qread) {
    // qmail-qread's queue is compiled in, so the comparison runs on that queue, not on ours.
    const systemQueue = process.env['QMAIL_QUEUE'] ?? '/var/qmail/queue';
    await compare(`${qread} on ${systemQueue}`, () => execFileSync(qread, { maxBuffer: 1 << 30, encoding: 'utf8' }), systemQueue);
    return;
  }
  const built = buildQread();
  if (!built) {
    console.log('qmail-qread not found and no C compiler (cc, gcc) to build bench/qread: no ratio');
    return;
  }
  try {
    await compare('bench/qread (qmail-qread\'s walk in C, built now)', () => execFileSync(built.bin, [queueDir, '23'], { maxBuffer: 1 << 30, encoding: 'utf8' }), queueDir);
  } finally {
    fs.rmSync(built.dir, { recursive: true, force: true });
  }
}

/**
 * Compiles bench/qread/qread.c (a reimplementation of qmail-qread's walk, for machines without
 * qmail) into a temporary directory with the first C compiler found.
 */
function buildQread(): { bin: string; dir: string } | undefined {
  const cc = ['cc', 'gcc'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim());
  if (!cc) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-qread-'));
  const bin = path.join(dir, 'qread');
  execFileSync(cc, ['-O2', '-o', bin, path.join(__dirname, 'qread', 'qread.c')], { stdio: 'inherit' });
  return { bin, dir };
}

/**
 * Times `run` (qmail-qread or its walk in C) against scanQueue + formatQread on the same queue,
 * median of RUNS each, alternating; prints messages/s for both and the ratio, and whether both
 * print the same lines (the order may differ: qmail-qread prints in readdir order).
 */
async function compare(label: string, run: () => string, queue: string) {
  const theirMs: number[] = [];
  const oursMs: number[] = [];
  let theirs = '';
  let ours = '';
  let messages = 0;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    theirs = run();
    theirMs.push(performance.now() - t);
    t = performance.now();
    const scanned = await scanQueue(queue);
    ours = formatQread(scanned.messages);
    oursMs.push(performance.now() - t);
    messages = scanned.messages.length;
  }
  const same = [...theirs.split('\n')].sort().join('\n') === [...ours.split('\n')].sort().join('\n');
  const t = median(theirMs);
  const o = median(oursMs);
  console.log(`${label}: ${fmt(messages)} messages in ${t.toFixed(0)} ms, ${fmt(messages / (t / 1000))} messages/s`);
  console.log(`scanQueue + formatQread: ${o.toFixed(0)} ms, ${fmt(messages / (o / 1000))} messages/s`);
  console.log(`ratio (qread time / ours): ${(t / o).toFixed(2)}x, ours takes ${(o / t).toFixed(1)}x as long; output ${same ? 'the same lines' : 'DIFFERS'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
