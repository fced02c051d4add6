import { documentDiff } from './bounded-diff';

describe('documentDiff (the audit of a revision)', () => {
  it('shows no change for the same document with its keys in another order', () => {
    const written = { me: 'mx.example', locals: ['a.example'], aliases: [{ name: 'x', destinations: [{ kind: 'forward', value: 'y@z.example' }] }] };
    // jsonb gives keys back shortest first, then by bytes: not the order they were written in.
    const readBack = { me: 'mx.example', aliases: [{ destinations: [{ value: 'y@z.example', kind: 'forward' }], name: 'x' }], locals: ['a.example'] };
    const diff = documentDiff(readBack, written);
    expect(diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l))).toEqual([]);
  });

  it('shows the field that changed, and keeps list order', () => {
    const diff = documentDiff({ locals: ['a.example', 'b.example'], databytes: 1 }, { databytes: 2, locals: ['b.example', 'a.example'] });
    const changed = diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l));
    expect(changed).toEqual(expect.arrayContaining(['-  "databytes": 1,', '+  "databytes": 2,']));
    expect(changed.some((l) => l.includes('a.example'))).toBe(true);
  });
});
