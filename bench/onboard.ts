/**
 * onboard (issue 11): a provider's inventory of `--hosts N` hosts (default 10,000) created on the
 * built controller (`npm run build` first), each with its one-time enrol token; goal < 10 s.
 *
 * For each database (embedded; PostgreSQL too with `--pg`, which uses QFLEET_BENCH_PG_URL, or
 * QFLEET_TEST_PG_URL, or postgresql://postgres@127.0.0.1:5432/postgres; `--pg-only` skips the
 * embedded one), on one controller:
 *  - the old way for scale: `--single M` hosts (default 500) through POST /api/hosts, 16 in flight;
 *  - N hosts through POST /api/hosts/bulk, MAX_BULK_HOSTS per call, one call after another;
 *  - N other hosts through `qfleet hosts import FILE --tokens-out PATH` (the built CLI, a CSV of
 *    name,groups; its dry-run pass over every chunk included), tokens file checked.
 * Each with the time, hosts/s, the controller's CPU (from /proc) and the goal met or NOT MET.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MAX_BULK_HOSTS } from '@qfleet/protocol';
import { ADMIN_TOKEN, TestController } from '../test/support/controller';
import type { TestDatabase } from '../test/support/databases';
import { CLI_MAIN } from '../test/support/cli';
import { cpuMeter, rssMiB } from './sim/proc';
import { machineLine } from './machine';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(option('hosts') ?? process.env['BENCH_ONBOARD_HOSTS'] ?? 10_000);
const SINGLE = Number(option('single') ?? 500);
const GOAL_S = 10;
const PG_URL = process.env['QFLEET_BENCH_PG_URL'] ?? (flag('pg') || flag('pg-only') ? (process.env['QFLEET_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres') : undefined);
const DATABASES: TestDatabase[] = flag('pg-only') ? ['postgres'] : PG_URL ? ['embedded', 'postgres'] : ['embedded'];
if (PG_URL) process.env['QFLEET_TEST_PG_URL'] = PG_URL;
const GROUPS = ['eu', 'us', 'asia', 'edge', 'relay'];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const name = (prefix: string, i: number) => `${prefix}${String(i).padStart(6, '0')}.example.net`;
const groupsOf = (i: number) => [GROUPS[i % GROUPS.length], ...(i % 10 === 0 ? ['edge-pop'] : [])];

function line(db: TestDatabase, what: string, n: number, ms: number, cpu: { cpuSec: number }, goal: boolean) {
  const s = ms / 1000;
  const verdict = goal ? `; goal < ${GOAL_S} s: ${s < GOAL_S ? 'met' : 'NOT MET'}` : '';
  console.log(`[${db}] ${what}: ${fmt(n)} hosts in ${s.toFixed(2)} s, ${fmt(n / s)} hosts/s; controller CPU ${cpu.cpuSec.toFixed(2)} s${verdict}`);
}

async function single(ctl: TestController, db: TestDatabase) {
  const meter = cpuMeter([ctl.proc.child.pid!]);
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < SINGLE) {
      const i = next++;
      const r = await ctl.api('POST', '/api/hosts', { name: name('one', i), groups: groupsOf(i) });
      if (r.status !== 201) throw new Error(`POST /api/hosts: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const ms = performance.now() - t;
  line(db, 'POST /api/hosts one by one, 16 in flight', SINGLE, ms, meter.stop(), false);
  return SINGLE / (ms / 1000);
}

async function bulk(ctl: TestController, db: TestDatabase) {
  const meter = cpuMeter([ctl.proc.child.pid!]);
  const t = performance.now();
  let tokens = 0;
  for (let i = 0; i < N; i += MAX_BULK_HOSTS) {
    const hosts = Array.from({ length: Math.min(MAX_BULK_HOSTS, N - i) }, (_, j) => ({ name: name('bulk', i + j), groups: groupsOf(i + j) }));
    const r = await ctl.api('POST', '/api/hosts/bulk', { hosts });
    if (r.status !== 201) throw new Error(`POST /api/hosts/bulk: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    tokens += (r.body.created as { enrollToken: string }[]).filter((h) => h.enrollToken).length;
  }
  const ms = performance.now() - t;
  if (tokens !== N) throw new Error(`${tokens} enrol tokens for ${N} hosts`);
  line(db, `POST /api/hosts/bulk, ${fmt(MAX_BULK_HOSTS)} per call`, N, ms, meter.stop(), true);
  return N / (ms / 1000);
}

function cliImport(ctl: TestController, db: TestDatabase) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-bench-onboard-'));
  try {
    const csv = path.join(dir, 'inventory.csv');
    fs.writeFileSync(csv, `name,groups\n${Array.from({ length: N }, (_, i) => `${name('cli', i)},${groupsOf(i).join(';')}`).join('\n')}\n`);
    const out = path.join(dir, 'tokens.csv');
    const meter = cpuMeter([ctl.proc.child.pid!]);
    const t = performance.now();
    const r = spawnSync(process.execPath, [CLI_MAIN, 'hosts', 'import', csv, '--tokens-out', out], {
      env: { PATH: process.env['PATH'], QFLEET_URL: ctl.url, QFLEET_TOKEN: ADMIN_TOKEN },
      encoding: 'utf8',
    });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`qfleet hosts import exited ${r.status}: ${r.stderr}`);
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n').length - 1;
    if (lines !== N) throw new Error(`${lines} enrol tokens in ${out} for ${N} hosts`);
    line(db, 'qfleet hosts import (CSV, dry-run pass included, tokens to a 0600 file)', N, ms, meter.stop(), true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run npm run build first`);
  console.log(`onboard: ${fmt(N)} hosts; ${machineLine()}`);
  for (const db of DATABASES) {
    const ctl = await TestController.start(db);
    try {
      const one = await single(ctl, db);
      const many = await bulk(ctl, db);
      console.log(`[${db}] bulk vs one by one: ${(many / one).toFixed(1)}x the hosts/s`);
      cliImport(ctl, db);
      console.log(`[${db}] controller RSS ${rssMiB(ctl.proc.child.pid!)?.toFixed(0) ?? '?'} MiB with ${fmt(SINGLE + 2 * N)} hosts`);
    } catch (e) {
      console.error(`[${db}] failed; the controller's last lines:\n${ctl.proc.tail()}`);
      throw e;
    } finally {
      await ctl.stop();
    }
  }
  console.log(`done; ${machineLine()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
