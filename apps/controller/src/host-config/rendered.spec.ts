import { withDroppedAliases } from './rendered';

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
