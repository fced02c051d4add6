import type { Alias } from '@qfleet/protocol';
import { documentDiff } from './diff';

const alias = (name: string, to: string): Alias => ({ name, destinations: [{ kind: 'forward', value: to }] });

describe('documentDiff', () => {
  it('finds nothing between equal documents', () => {
    expect(documentDiff({ me: 'a.example', locals: ['a.example'] }, { locals: ['a.example'], me: 'a.example' })).toEqual({ added: [], removed: [], changed: [] });
  });

  it('adds and removes a field that starts or stops being managed, whole', () => {
    expect(documentDiff({ databytes: 5, locals: ['a.example'] }, { me: 'b.example', rcpthosts: ['b.example'] })).toEqual({
      added: [
        { field: 'me', value: 'b.example' },
        { field: 'rcpthosts', value: ['b.example'] },
      ],
      removed: [
        { field: 'databytes', value: 5 },
        { field: 'locals', value: ['a.example'] },
      ],
      changed: [],
    });
  });

  it('changes scalars, and fields between a value and null', () => {
    expect(documentDiff({ me: 'a.example', databytes: null, locals: ['a.example'] }, { me: 'b.example', databytes: 5, locals: null })).toEqual({
      added: [],
      removed: [],
      changed: [
        { field: 'me', before: 'a.example', after: 'b.example' },
        { field: 'databytes', before: null, after: 5 },
        { field: 'locals', before: ['a.example'], after: null },
      ],
    });
  });

  it('compares lists entry by entry with the merge’s keys, ignoring order', () => {
    expect(
      documentDiff(
        { locals: ['a.example', 'b.example'], aliases: [alias('sales', 'a@remote.example'), alias('info', 'b@remote.example')], smtproutes: [{ domain: '', relay: 'r.example' }] },
        { locals: ['c.example', 'a.example'], aliases: [alias('info', 'b@remote.example'), alias('sales', 'c@remote.example')], smtproutes: [] },
      ),
    ).toEqual({
      added: [{ field: 'locals', value: 'c.example' }],
      removed: [
        { field: 'locals', value: 'b.example' },
        { field: 'smtproutes', value: { domain: '', relay: 'r.example' } },
      ],
      changed: [{ field: 'aliases', before: alias('sales', 'a@remote.example'), after: alias('sales', 'c@remote.example') }],
    });
  });

  it('reports a change of spelling as changed, since the key is the same', () => {
    expect(documentDiff({ locals: ['A.example'] }, { locals: ['a.example'] }).changed).toEqual([{ field: 'locals', before: 'A.example', after: 'a.example' }]);
  });
});
