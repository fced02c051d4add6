/**
 * How long the controller takes to accept a document (DESIGN.md "The desired state"; issue 10:
 * one caller's big PUT must not stall everyone). For each list kind it builds a document of
 * 1,000 and 10,000 entries and times what a PUT runs: the schema, mergeLayers, validateDocument
 * and renderDocument, then the file plan against an empty host. The ratio 10k/1k is ≈10 when
 * the work is linear (≈100 when quadratic). It then times the worst host-name pattern
 * against a long name, and the qmail parsers on inputs of n and 10n bytes.
 */
import { performance } from 'node:perf_hooks';
import { HostDocumentSchema, matchesHostPattern, type Alias, type HostDocument } from '@qfleet/protocol';
import { LayerSchema, mergeLayers, renderDocument, validateDocument } from '../libs/qmail/src';
import { parseAssign } from '../libs/qmail/src/assign';
import { importFiles } from '../libs/qmail/src/import';
import { parseControlFile } from '../libs/qmail/src/control';
import { parseDotQmail } from '../libs/qmail/src/dot-qmail';
import { parseSmtpRoutes } from '../libs/qmail/src/smtproutes';
import { parseVirtualDomains } from '../libs/qmail/src/virtualdomains';
import { scanMbox } from '../libs/qmail/src/mailbox/mbox';
import { planApply } from '../apps/controller/src/host-config/plan';

const SIZES = [1_000, 10_000] as const;
const RUNS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (n: number) => `${n.toFixed(1).padStart(8)} ms`;

function time(run: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    run();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

const domain = (i: number) => `d${i}.example${i % 7}.com`;
const alias = (i: number, doc: 'plain' | 'virtual'): Alias => ({
  name: `user${i}`,
  ...(doc === 'virtual' ? { domain: domain(i % 100) } : {}),
  // Forwards to the next alias: the loop finder walks a 10,000-long chain.
  destinations: [{ kind: 'forward', value: `user${i + 1}@${doc === 'virtual' ? domain((i + 1) % 100) : 'here.example'}` }, { kind: 'maildir', value: `./Maildir-${i}/` }],
});

const KINDS: Record<string, (n: number) => HostDocument> = {
  'locals+rcpthosts': (n) => ({ locals: Array.from({ length: n }, (_, i) => domain(i)), rcpthosts: Array.from({ length: n }, (_, i) => domain(n - i)) }),
  rcpthosts: (n) => ({ rcpthosts: Array.from({ length: n }, (_, i) => (i % 2 ? `.${domain(i)}` : domain(i))) }),
  badmailfrom: (n) => ({ badmailfrom: Array.from({ length: n }, (_, i) => `spam${i}@${domain(i)}`) }),
  percenthack: (n) => ({ percenthack: Array.from({ length: n }, (_, i) => domain(i)) }),
  virtualdomains: (n) => ({
    locals: ['here.example'],
    rcpthosts: ['here.example', ...Array.from({ length: n }, (_, i) => domain(i))],
    virtualdomains: Array.from({ length: n }, (_, i) => ({ match: domain(i), prefix: `p${i}` })),
  }),
  smtproutes: (n) => ({ smtproutes: Array.from({ length: n }, (_, i) => ({ domain: domain(i), relay: `relay${i % 10}.example.net`, port: 25 })) }),
  assignments: (n) => ({
    assignments: Array.from({ length: n }, (_, i) => ({ kind: i % 2 ? ('exact' as const) : ('prefix' as const), address: `box${i}`, user: 'vpopmail', uid: 89, gid: 89, home: `/home/vpopmail/domains/d${i}` })),
  }),
  aliases: (n) => ({ locals: ['here.example'], aliases: Array.from({ length: n }, (_, i) => alias(i, 'plain')) }),
  'aliases (virtual)+assignments': (n) => ({
    locals: ['here.example'],
    rcpthosts: Array.from({ length: 100 }, (_, i) => domain(i)),
    virtualdomains: Array.from({ length: 100 }, (_, i) => ({ match: domain(i), prefix: `p${i}` })),
    assignments: Array.from({ length: n }, (_, i) => ({ kind: 'exact' as const, address: `other${i}`, user: 'vpopmail', uid: 89, gid: 89, home: `/home/vpopmail/d${i}` })),
    aliases: Array.from({ length: n }, (_, i) => alias(i, 'virtual')),
  }),
};

function pipeline(doc: HostDocument): void {
  const parsed = LayerSchema.parse(HostDocumentSchema.parse(JSON.parse(JSON.stringify(doc))));
  const { document } = mergeLayers([{ source: 'group:a', document: {} }, { source: 'host', document: parsed }]);
  const { errors } = validateDocument(document);
  if (errors.length) throw new Error(`bench document invalid: ${errors[0]?.path}: ${errors[0]?.message}`);
  planApply(renderDocument(document), {}, []);
}

console.log('validate + render (schema, merge, validateDocument, renderDocument, plan), median of 3');
console.log(`${'kind'.padEnd(30)} ${SIZES.map((n) => `${n.toLocaleString('en-US')}`.padStart(11)).join(' ')}   10k/1k`);
let worst = 0;
for (const [kind, make] of Object.entries(KINDS)) {
  const times = SIZES.map((n) => {
    const doc = make(n);
    return time(() => pipeline(doc));
  });
  const ratio = (times[1] as number) / (times[0] as number);
  worst = Math.max(worst, times[1] as number);
  console.log(`${kind.padEnd(30)} ${times.map(ms).join(' ')}   ${ratio.toFixed(1).padStart(5)}`);
}
console.log(`slowest 10,000-entry document: ${worst.toFixed(0)} ms`);

// The pattern that held a backtracking glob matcher for 51 s against a 38-character name.
const hostile = '*?'.repeat(13) + '*Z';
const longName = 'a'.repeat(38);
console.log(`\nhost-name pattern ${hostile} against ${longName.length} chars: ${(time(() => matchesHostPattern(longName, hostile)) * 1000).toFixed(0)} µs`);
const biggest = '*?'.repeat(126) + 'Z';
const longest = `${'a.'.repeat(126)}b`;
console.log(`worst pattern (${biggest.length} chars) against ${longest.length} chars, 100 patterns × 1,000 hosts: ${ms(time(() => {
  for (let h = 0; h < 1000; h++) for (let p = 0; p < 100; p++) matchesHostPattern(longest, biggest);
}))}`);

// Parsers on hostile text: n and 10n bytes; ≈10 is linear.
const PARSERS: Record<string, [(s: string) => unknown, (n: number) => string]> = {
  'control file (one huge line)': [(s) => parseControlFile('rcpthosts', s), (n) => 'a'.repeat(n)],
  'control file (many lines)': [(s) => parseControlFile('rcpthosts', s), (n) => 'a.example\n# c\n\0\r\n'.repeat(n / 16)],
  '.qmail': [(s) => parseDotQmail(s), (n) => '&a@b\n|prog\n./Maildir/\n#\n\0\r'.repeat(n / 32)],
  'users/assign': [(s) => parseAssign(s), (n) => '=a:b:1:2:/h:::\n+x:::::::\n'.repeat(n / 24) + '.\n'],
  virtualdomains: [(s) => parseVirtualDomains(s), (n) => 'a.example:p\n::::\n#x\n'.repeat(n / 20)],
  smtproutes: [(s) => parseSmtpRoutes(s), (n) => 'a.example:[1.2.3.4]:25\n:::\n'.repeat(n / 26)],
  'import (4 files)': [(s) => importFiles({ 'control/locals': s, 'control/virtualdomains': s, 'users/assign': s, 'alias/.qmail-sales': s }), (n) => 'a\n#\na:b\n'.repeat(n / 8)],
  mbox: [(s) => scanMbox(Buffer.from(s)), (n) => 'From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\n>From y\nbody\n'.repeat(n / 60)],
};
console.log('\nparsers, median of 3');
console.log(`${'parser'.padEnd(30)} ${'1 MB'.padStart(11)} ${'10 MB'.padStart(11)}   10n/n`);
for (const [name, [parse, make]] of Object.entries(PARSERS)) {
  const times = [1_000_000, 10_000_000].map((n) => {
    const input = make(n);
    return time(() => parse(input));
  });
  console.log(`${name.padEnd(30)} ${times.map(ms).join(' ')}   ${((times[1] as number) / (times[0] as number)).toFixed(1).padStart(5)}`);
}
