#!/usr/bin/env node
// `npm test`: every project's tests through Nx (unit, end-to-end, browser), then one closing
// line with the totals. Extra arguments go to `nx run-many` (e.g. -p qmail).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '..', 'tmp', 'test-results');
fs.rmSync(dir, { recursive: true, force: true });
const env = { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ') };
const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'test', '--parallel=2', '--outputStyle=stream', '--skip-nx-cache', ...process.argv.slice(2)], { stdio: 'inherit', env });
const total = { passed: 0, failed: 0, skipped: 0 };
for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
  const c = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const k of Object.keys(total)) total[k] += c[k];
}
if (nx.status !== 0 && total.failed === 0) total.failed = 1; // a build or a project that did not run
process.stdout.write(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
process.exit(nx.status === 0 && total.failed === 0 ? 0 : 1);
