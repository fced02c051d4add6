import { sha256 } from '@qfleet/qmail';
import type { PrismaService } from '../database/prisma.service';
import { driftedPaths } from './rendered';
import { DriftCounter, driftCount, hashesOf } from './drift-counter';

const rendered = {
  files: [
    { path: 'control/locals', content: 'a.example\n', mode: 0o644 },
    { path: 'control/rcpthosts', content: 'a.example\n', mode: 0o644 },
    { path: 'control/me', content: 'mx.example\n', mode: 0o644 },
  ],
  removes: ['alias/.qmail-old', 'alias/.qmail-gone'],
};
const clean = { 'control/locals': sha256('a.example\n'), 'control/rcpthosts': sha256('a.example\n'), 'control/me': sha256('mx.example\n') };

describe('driftCount', () => {
  it('counts what driftedPaths names, from the hashes alone', () => {
    const reported = { 'control/locals': sha256('a.example\n'), 'control/rcpthosts': sha256('edited\n'), 'alias/.qmail-old': sha256('x') };
    expect(driftedPaths(rendered, reported)).toEqual(['control/rcpthosts', 'control/me', 'alias/.qmail-old']);
    expect(driftCount(hashesOf(4, rendered), reported)).toBe(3);
    expect(driftCount(hashesOf(4, rendered), clean)).toBe(0);
  });
});

describe('DriftCounter', () => {
  it('counts the reports that follow an apply from the rendering this process sent, without reading the database', async () => {
    // No database behind it: a read would throw, so every count here came from `known`.
    const counter = new DriftCounter(null as unknown as PrismaService, (_host, revision) => (revision === 5 ? rendered : undefined));
    const counts = await counter.count([
      { id: 'a', appliedRevision: 5, files: clean },
      { id: 'b', appliedRevision: 5, files: { ...clean, 'control/me': sha256('edited\n') } },
      { id: 'c', appliedRevision: 0, files: {} },
    ]);
    expect(Object.fromEntries(counts)).toEqual({ a: 0, b: 1, c: 0 });
    // Hosts that applied the same rendering object share its hashes.
    expect(hashesOf(5, rendered).files).toBe(hashesOf(6, rendered).files);
  });
});
