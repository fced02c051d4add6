import { sha256 } from '@qfleet/qmail';
import { heldPaths, withDroppedAliases, withKept } from './rendered';

const f = (path: string) => ({ path, content: 'x\n', mode: 0o644 });

describe('withDroppedAliases', () => {
  const written = { files: [f('control/me'), f('alias/.qmail-sales'), f('alias/.qmail-run')], removes: [] };

  it('removes the alias files a managed list no longer names', () => {
    expect(withDroppedAliases(written, { files: [f('alias/.qmail-sales')], removes: [] }, true).removes).toEqual(['alias/.qmail-run']);
  });

  it('leaves alias files alone while unmanaged, and removes them when a managed list comes back without them (issue 10, hole 11)', () => {
    const unmanaged = withDroppedAliases(written, { files: [f('control/me')], removes: [] }, false);
    expect(unmanaged.removes).toEqual([]);
    expect(unmanaged.unmanagedAliases).toEqual(['alias/.qmail-run', 'alias/.qmail-sales']);
    const stillUnmanaged = withDroppedAliases(unmanaged, { files: [f('control/me')], removes: [] }, false);
    const again = withDroppedAliases(stillUnmanaged, { files: [f('alias/.qmail-sales')], removes: [] }, true);
    expect(again.removes).toEqual(['alias/.qmail-run']);
    expect(again.unmanagedAliases).toBeUndefined();
  });
});

const file = (path: string, content: string) => ({ path, content, mode: 0o644 });

describe('withKept (issue 12)', () => {
  const doc = { locals: ['a.example'] };
  const hostLocals = '# ours\nA.example\n';

  it("takes the host's bytes of a file that means the same, and not of one that does not", () => {
    const next = { files: [file('control/locals', 'a.example\n'), file('control/me', 'mx.example\n')], removes: [] };
    const kept = withKept({ files: [] }, next, doc, { 'control/locals': hostLocals, 'control/me': 'other.example\n' });
    expect(kept.files).toEqual([file('control/locals', hostLocals), file('control/me', 'mx.example\n')]);
    expect(kept.kept).toEqual({ 'control/locals': sha256('a.example\n') });
  });

  it('carries them while the field renders the same, and lets go once it changes', () => {
    const before = { files: [file('control/locals', hostLocals)], kept: { 'control/locals': sha256('a.example\n') } };
    expect(withKept(before, { files: [file('control/locals', 'a.example\n')], removes: [] }, doc).files).toEqual([file('control/locals', hostLocals)]);
    const changed = withKept(before, { files: [file('control/locals', 'a.example\nb.example\n')], removes: [] }, doc);
    expect(changed.files).toEqual([file('control/locals', 'a.example\nb.example\n')]);
    expect(changed.kept).toBeUndefined();
  });
});

describe('heldPaths (issue 12)', () => {
  const applied = { files: [file('control/locals', 'a.example\n'), file('control/rcpthosts', 'a.example\n')], removes: [] };
  const next = { files: [file('control/locals', 'a.example\n'), file('control/rcpthosts', 'a.example\nb.example\n')], removes: [] };

  it('names a drifted file the next revision would write', () => {
    const reported = { 'control/locals': sha256('edited\n'), 'control/rcpthosts': sha256('a.example\n') };
    expect(heldPaths(applied, next, reported)).toEqual(['control/locals']);
  });

  it('holds nothing without drift, or when the next revision writes what the host has', () => {
    expect(heldPaths(applied, next, { 'control/locals': sha256('a.example\n'), 'control/rcpthosts': sha256('a.example\n') })).toEqual([]);
    const adopted = { files: [file('control/locals', 'edited\n')], removes: [] };
    expect(heldPaths(applied, adopted, { 'control/locals': sha256('edited\n') })).toEqual([]);
  });
});
