import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RolloutPreview } from '@qfleet/protocol';
import { UsageError } from '../client';
import { batchText, countsText } from '../rollout-watch';
import { healthGate, previewText, readChange } from './rollouts';

describe('readChange', () => {
  it('takes the JSON itself, @FILE, or - for standard input', () => {
    expect(readChange('{"add":{"locals":["a.example"]}}')).toEqual({ add: { locals: ['a.example'] } });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-change-'));
    try {
      fs.writeFileSync(path.join(dir, 'c.json'), '{"set":{"databytes":5}}');
      expect(readChange(`@${path.join(dir, 'c.json')}`)).toEqual({ set: { databytes: 5 } });
      expect(() => readChange(`@${path.join(dir, 'missing.json')}`)).toThrow(UsageError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(readChange('-', () => '{"remove":{"locals":["a.example"]}}')).toEqual({ remove: { locals: ['a.example'] } });
  });

  it('says where bad JSON, or JSON that is no object, came from', () => {
    expect(() => readChange('{"add":')).toThrow(/^--change is not valid JSON/);
    expect(() => readChange('-', () => '[1]')).toThrow(/^standard input must hold a JSON object/);
  });
});

describe('healthGate', () => {
  it('is none without its options, and --settle with a limit makes one that halts by default', () => {
    expect(healthGate({})).toBeUndefined();
    expect(healthGate({ settle: 60, maxQueueGrowth: 0 })).toEqual({ settleSeconds: 60, maxQueueGrowth: 0, onFail: 'halt' });
    expect(healthGate({ settle: 60, maxOldestAge: 600, onFail: 'revert' })).toEqual({ settleSeconds: 60, maxOldestAgeSec: 600, onFail: 'revert' });
  });

  it('refuses a limit without --settle, and --settle without a limit', () => {
    expect(() => healthGate({ maxQueueGrowth: 5 })).toThrow(/needs --settle/);
    expect(() => healthGate({ onFail: 'revert' })).toThrow(UsageError);
    expect(() => healthGate({ settle: 5 })).toThrow(/--max-queue-growth or --max-oldest-age/);
  });
});

describe('previewText', () => {
  it('gives each host its batch and outcome, its privileged changes, then its diffs and post-steps, and a count at the end', () => {
    const preview: RolloutPreview = {
      dryRun: true,
      batches: 2,
      hosts: [
        {
          hostId: 'a',
          name: 'mx1',
          batch: 0,
          connected: true,
          outcome: 'change',
          error: null,
          changes: [{ path: 'control/locals', action: 'modify', diff: '--- a/control/locals\n+++ b/control/locals\n@@ -1 +1,2 @@\n a.example\n+b.example\n' }],
          postSteps: ['hup'],
          warnings: [],
          privileged: [{ path: 'aliases[0].destinations[0]', kind: 'program', value: '/usr/bin/id' }],
        },
        { hostId: 'b', name: 'mx2', batch: 1, connected: false, outcome: 'skipped', error: 'locals is not managed on this host', changes: [], postSteps: [], warnings: [], privileged: [] },
      ],
    };
    expect(previewText(preview)).toBe(
      [
        'mx1: batch 1 of 2, would change\nprivileged: aliases[0].destinations[0]: runs |/usr/bin/id\nmodify control/locals\n--- a/control/locals\n+++ b/control/locals\n@@ -1 +1,2 @@\n a.example\n+b.example\nthen: hup',
        'mx2: batch 2 of 2, skipped: locals is not managed on this host (agent offline)',
        'dry run: 2 hosts in 2 batches, 1 would change, 1 skipped; nothing was changed',
      ].join('\n\n'),
    );
  });
});

describe('countsText and batchText', () => {
  it('name the states that have hosts, done ones first, and the batch in progress', () => {
    const counts = { pending: 2, applying: 1, offline: 0, applied: 3, failed: 1, timeout: 0, unchanged: 0, skipped: 0, reverted: 0, held: 0 };
    expect(countsText(counts)).toBe('3 applied, 1 failed, 1 applying, 2 pending');
    expect(countsText({ ...counts, pending: 0, applying: 0, applied: 0, failed: 0 })).toBe('no hosts');
    expect(batchText({ batch: 0, batches: 3 })).toBe('batch 1 of 3');
    expect(batchText({ batch: 3, batches: 3 })).toBe('batch 3 of 3');
  });
});
