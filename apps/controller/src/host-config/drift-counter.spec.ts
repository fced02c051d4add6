import { sha256 } from '@qfleet/qmail';
import { driftedPaths } from './rendered';
import { driftCount, hashesOf } from './drift-counter';

describe('driftCount', () => {
  it('counts what driftedPaths names, from the hashes alone', () => {
    const rendered = {
      files: [
        { path: 'control/locals', content: 'a.example\n', mode: 0o644 },
        { path: 'control/rcpthosts', content: 'a.example\n', mode: 0o644 },
        { path: 'control/me', content: 'mx.example\n', mode: 0o644 },
      ],
      removes: ['alias/.qmail-old', 'alias/.qmail-gone'],
    };
    const reported = { 'control/locals': sha256('a.example\n'), 'control/rcpthosts': sha256('edited\n'), 'alias/.qmail-old': sha256('x') };
    expect(driftedPaths(rendered, reported)).toEqual(['control/rcpthosts', 'control/me', 'alias/.qmail-old']);
    expect(driftCount(hashesOf(4, rendered), reported)).toBe(3);
    expect(driftCount(hashesOf(4, rendered), { 'control/locals': sha256('a.example\n'), 'control/rcpthosts': sha256('a.example\n'), 'control/me': sha256('mx.example\n') })).toBe(0);
  });
});
