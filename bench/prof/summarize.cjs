#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `fanout --cpu-prof DIR`): self time per function, and
// the share of each part of the stack (Prisma, PGlite, socket.io, our code, GC, idle...).
// Usage: node bench/prof/summarize.cjs DIR [top=25] [fromSec toSec]
// Each profile in DIR (the main thread's and each worker's) is summarised; with fromSec/toSec
// only the samples in that window, in seconds after the earliest profile's start (fanout prints
// each phase's window in the same terms: seconds after the controller was started).
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const from = process.argv[4] === undefined ? -Infinity : Number(process.argv[4]) * 1e6;
const to = process.argv[5] === undefined ? Infinity : Number(process.argv[5]) * 1e6;
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(dir, f));
const profiles = files.map((f) => [f, JSON.parse(fs.readFileSync(f, 'utf8'))]);
const origin = Math.min(...profiles.map(([, p]) => p.startTime));
// wasm in the PGlite worker is PGlite; in the main thread it is Prisma's query compiler.
let isWorker = false;
for (const [file, prof] of profiles) {
  isWorker = prof.nodes.some((n) => /pglite-worker/.test(n.callFrame.url));
  summarise(file, prof);
}

function part(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, outside JS)';
  if (/@prisma|generated\/prisma|prisma\/(client|runtime)|query_compiler|\.wasm/.test(url)) return 'Prisma';
  if (/^wasm:/.test(url)) return isWorker ? 'PGlite' : 'Prisma';
  if (/pglite/.test(url)) return 'PGlite';
  if (/socket\.io|engine\.io|\/ws\//.test(url)) return 'socket.io';
  if (/node_modules\/pg\b|node_modules\/pg-/.test(url)) return 'pg driver';
  if (/node_modules\/(zod)/.test(url)) return 'zod';
  if (/node_modules\/(@nestjs|express|router|body-parser|raw-body|iconv)/.test(url)) return 'Nest/express';
  if (/node_modules/.test(url)) return 'other libraries';
  if (/dist\/apps|\/apps\/|\/libs\//.test(url)) return 'our code';
  if (url.startsWith('node:') || url === '' ) return 'node internals';
  return 'other';
}

function summarise(file, prof) {
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
// Sample time deltas: each sample's node gets the delta that follows it.
let at = prof.startTime - origin;
for (let i = 0; i < prof.samples.length; i++) {
  at += prof.timeDeltas[i] ?? 0;
  const dt = prof.timeDeltas[i + 1] ?? 0;
  if (at < from || at > to) continue;
  const n = byId.get(prof.samples[i]);
  self.set(n.id, (self.get(n.id) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const parts = new Map();
for (const [id, t] of self) {
  const n = byId.get(id);
  const { functionName, url, lineNumber } = n.callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + t);
  const p = part(url, functionName);
  parts.set(p, (parts.get(p) ?? 0) + t);
}
const busy = total - (parts.get('idle') ?? 0);
console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy`);
for (const [p, t] of [...parts].sort((a, b) => b[1] - a[1])) console.log(`  ${p.padEnd(30)} ${(t / 1e6).toFixed(2).padStart(7)} s  ${p === 'idle' ? '' : ((100 * t) / busy).toFixed(1) + '% of busy'}`);
console.log(`top ${top} by self time:`);
for (const [k, t] of [...fn].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(t / 1e3).toFixed(0).padStart(7)} ms  ${((100 * t) / busy).toFixed(1).padStart(5)}%  ${k}`);
// Inclusive time of our own functions (each counted once per sample however deep it recurs):
// which of our code paths the library time above is spent under.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map();
for (const [id, t] of self) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const { functionName, url, lineNumber } = byId.get(cur).callFrame;
    if (part(url, functionName) !== 'our code') continue;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    incl.set(key, (incl.get(key) ?? 0) + t);
  }
}
if (incl.size) console.log(`our functions by inclusive time:`);
for (const [k, t] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(t / 1e3).toFixed(0).padStart(7)} ms  ${((100 * t) / busy).toFixed(1).padStart(5)}%  ${k}`);
}

// `TIMELINE=0.5` prints, per slice of that many seconds of the window, the busy share and its largest parts.
if (process.env.TIMELINE) {
  const slice = Number(process.env.TIMELINE) * 1e6;
  for (const [file, prof] of profiles) {
    isWorker = prof.nodes.some((n) => /pglite-worker/.test(n.callFrame.url));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const buckets = new Map();
    let at = prof.startTime - origin;
    for (let i = 0; i < prof.samples.length; i++) {
      at += prof.timeDeltas[i] ?? 0;
      if (at < from || at > to) continue;
      const dt = prof.timeDeltas[i + 1] ?? 0;
      const { url, functionName } = byId.get(prof.samples[i]).callFrame;
      const b = Math.floor(at / slice);
      const m = buckets.get(b) ?? new Map();
      const p = part(url, functionName);
      m.set(p, (m.get(p) ?? 0) + dt);
      buckets.set(b, m);
    }
    console.log(`timeline of ${path.basename(file)}:`);
    for (const [b, m] of [...buckets].sort((x, y) => x[0] - y[0])) {
      const tot = [...m.values()].reduce((a, c) => a + c, 0);
      const busy = tot - (m.get('idle') ?? 0);
      const parts = [...m].filter(([p]) => p !== 'idle').sort((x, y) => y[1] - x[1]).slice(0, 3).map(([p, t]) => `${p} ${((100 * t) / tot).toFixed(0)}%`).join(', ');
      console.log(`  ${((b * slice) / 1e6).toFixed(1).padStart(6)} s  busy ${((100 * busy) / tot).toFixed(0).padStart(3)}%  ${parts}`);
    }
  }
}
