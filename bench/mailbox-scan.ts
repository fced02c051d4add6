/**
 * The agent's mailbox scan on a big host (issue 14): BENCH_MAILBOXES mailboxes (default 1,000)
 * holding BENCH_MESSAGES messages (default 100,000) made on disk under os.tmpdir() once and
 * reused; `--full` makes 10,000 mailboxes and a million messages, `--small` 200 and 10,000.
 * A tenth of the mailboxes are mboxes, the rest Maildirs (half their names with `,S=`, new/
 * and cur/, some with a Maildir++ folder and a maildirsize). The scanner runs in a process of
 * its own (bench/mailbox-scan-worker.ts) as in the agent; this prints, for the first scan, a
 * rescan with nothing changed and a rescan after a delivery to 1% of the mailboxes: the wall
 * time, the CPU time, the directories read, the mbox bytes read, the longest event-loop stall
 * and the scanner process's RSS (sampled from /proc meanwhile, and its peak), with `uptime`.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forkTs } from './sim/fork-ts';
import type { MailboxScanTarget } from '../libs/protocol/src';

const args = process.argv.slice(2);
const size = args.includes('--full') ? { boxes: 10_000, messages: 1_000_000 } : args.includes('--small') ? { boxes: 200, messages: 10_000 } : { boxes: 1_000, messages: 100_000 };
const BOXES = Number(process.env['BENCH_MAILBOXES'] ?? size.boxes);
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? size.messages);
const base = path.join(os.tmpdir(), `qfleet-bench-mailboxes-${BOXES}-${MESSAGES}`);
const doneMarker = path.join(base, 'complete');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const isMbox = (i: number) => i % 10 === 9;
const HOUR_AGO = Math.floor(Date.now() / 1000) - 3600;

function locations(): MailboxScanTarget[] {
  return Array.from({ length: BOXES }, (_, i) => {
    const user = `u${String(i).padStart(5, '0')}`;
    return isMbox(i) ? { user, path: path.join(base, user, 'Mailbox'), format: 'mbox' as const } : { user, path: path.join(base, user, 'Maildir'), format: 'maildir' as const };
  });
}

const body = (i: number) => `Return-Path: <s${i}@example.com>\nSubject: bench ${i}\n\n${'x'.repeat(200 + (i % 7) * 50)}\n`;
const asctime = (t: number) => new Date(t * 1000).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, (_, d, day, mon, y, hms) => `${d} ${mon} ${day.padStart(2)} ${hms} ${y}`);
const mboxEntry = (i: number, t: number) => `From s${i}@example.com ${asctime(t)}\n${i % 3 ? 'Status: RO\n' : ''}${body(i)}\n`;

/**
 * Many small files, written synchronously (the fastest way from one thread: no promise per
 * file); directories are then set an hour back, as on a host where nothing just arrived.
 */
function build() {
  if (fs.existsSync(doneMarker)) return console.log(`reusing ${base}`);
  fs.rmSync(base, { recursive: true, force: true });
  console.log(`making ${fmt(BOXES)} mailboxes with ${fmt(MESSAGES)} messages in ${base} …`);
  const t0 = performance.now();
  const locs = locations();
  // Sizes vary as on a real host: a few mailboxes hold much of the mail.
  const weights = locs.map((_, i) => 1 + ((i * 7919) % 97 === 0 ? 50 : (i * 31) % 10));
  const total = weights.reduce((a, b) => a + b, 0);
  let made = 0;
  const dirs: string[] = [];
  locs.forEach((loc, i) => {
    const n = i === locs.length - 1 ? MESSAGES - made : Math.round((MESSAGES * weights[i]) / total);
    made += n;
    if (loc.format === 'mbox') {
      fs.mkdirSync(path.dirname(loc.path), { recursive: true });
      const parts: string[] = [];
      for (let m = 0; m < n; m++) parts.push(mboxEntry(m, HOUR_AGO - (n - m) * 60));
      fs.writeFileSync(loc.path, parts.join(''));
      fs.utimesSync(loc.path, HOUR_AGO, HOUR_AGO);
      return;
    }
    const sub = (d: string) => path.join(loc.path, d);
    const folders = i % 5 === 0 ? ['', '.Sent'] : [''];
    for (const f of folders) for (const d of ['new', 'cur', 'tmp']) fs.mkdirSync(sub(path.join(f, d)), { recursive: true });
    if (i % 4 === 0) fs.writeFileSync(sub('maildirsize'), `${50 * 2 ** 20}S,10000C\n${n * 400} ${n}\n`);
    for (let m = 0; m < n; m++) {
      const text = body(m);
      const folder = folders[m % folders.length];
      const where = m % 10 === 0 ? 'new' : 'cur';
      const unique = `${HOUR_AGO - (n - m) * 60}.M${m}P${i}.bench${m % 2 ? `,S=${text.length}` : ''}`;
      fs.writeFileSync(path.join(loc.path, folder, where, where === 'cur' ? `${unique}:2,S` : unique), text);
    }
    for (const f of folders) for (const d of ['new', 'cur']) dirs.push(sub(path.join(f, d)));
    dirs.push(loc.path);
    if ((i + 1) % Math.max(1, Math.floor(BOXES / 10)) === 0) console.log(`  ${fmt(i + 1)} mailboxes, ${fmt(made)} messages, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  });
  for (const d of dirs) fs.utimesSync(d, HOUR_AGO, HOUR_AGO);
  fs.writeFileSync(doneMarker, '');
  console.log(`made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** A delivery to one mailbox in a hundred, Maildirs and mboxes alike: a new file in new/, an appended mbox message. */
function touchOnePercent(round: number): number {
  let touched = 0;
  locations().forEach((loc, i) => {
    if (i % 200 !== 0 && i % 200 !== 109) return;
    touched++;
    const t = Math.floor(Date.now() / 1000);
    if (loc.format === 'mbox') fs.appendFileSync(loc.path, mboxEntry(round, t));
    else fs.writeFileSync(path.join(loc.path, 'new', `${t}.M${round}P${i}.touch`), body(round));
  });
  return touched;
}

interface ScanAnswer {
  ms: number;
  cpuMs: number;
  lagMaxMs: number;
  counters: { dirReads: number; dirHits: number; fileStats: number; mboxBytesRead: number; mboxAppends: number };
  mailboxes: number;
  messages: number;
  bytes: number;
  rssMb: number;
}

function rssOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function main() {
  build();
  const worker = forkTs(path.join(__dirname, 'mailbox-scan-worker.ts'), 'mailbox-scan');
  const answers: ((a: unknown) => void)[] = [];
  worker.on('message', (m) => answers.shift()?.(m));
  const ask = <T>(msg: unknown) => new Promise<T>((resolve) => {
    answers.push(resolve as (a: unknown) => void);
    worker.send(msg as object);
  });
  await ask({ locations: locations() });
  console.log(`scanner process RSS before the first scan: ${rssOf(worker.pid!).rss.toFixed(0)} MB (ts-node and the libraries loaded)`);
  const scan = async (label: string) => {
    let maxRss = 0;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssOf(worker.pid!).rss)), 50);
    const a = await ask<ScanAnswer>({ scan: true });
    clearInterval(sampler);
    maxRss = Math.max(maxRss, rssOf(worker.pid!).rss);
    const c = a.counters;
    console.log(
      `${label.padEnd(26)} ${(a.ms / 1000).toFixed(2).padStart(7)} s wall ${(a.cpuMs / 1000).toFixed(2).padStart(7)} s CPU  ` +
        `${fmt(c.dirReads).padStart(6)} dirs read ${fmt(c.dirHits).padStart(6)} cached ${fmt(c.fileStats).padStart(7)} stats ` +
        `${(c.mboxBytesRead / 2 ** 20).toFixed(1).padStart(6)} MB mbox read (${c.mboxAppends} tails)  loop stall ≤ ${a.lagMaxMs.toFixed(0)} ms  RSS ≤ ${maxRss.toFixed(0)} MB  ` +
        `[${fmt(a.mailboxes)} mailboxes, ${fmt(a.messages)} messages, ${(a.bytes / 2 ** 20).toFixed(0)} MB]`,
    );
    return a;
  };
  console.log(`load: ${execSync('uptime').toString().trim()}`);
  const first = await scan('first scan');
  await scan('rescan, nothing changed');
  const touched = touchOnePercent(Math.floor(Date.now() / 1000));
  // Deliveries this recent are read again at the next scan as well (same-second mtimes).
  const after = await scan(`rescan, ${touched} touched`);
  if (after.messages !== first.messages + touched) throw new Error(`expected ${first.messages + touched} messages after the deliveries, counted ${after.messages}`);
  console.log(`peak RSS of the scanner process: ${rssOf(worker.pid!).peak.toFixed(0)} MB; load: ${execSync('uptime').toString().trim()}`);
  worker.kill();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
