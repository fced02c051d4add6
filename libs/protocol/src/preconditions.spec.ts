import { parseIfMatch, preconditionHolds, revisionTag, staleMessage } from './preconditions';

describe('If-Match on config writes', () => {
  it('reads a revision tag, a list of them, a weak tag and *', () => {
    expect(parseIfMatch(revisionTag(12))).toEqual({ ok: true, value: { any: false, revisions: [12] } });
    expect(parseIfMatch(' "3", W/"4" ')).toEqual({ ok: true, value: { any: false, revisions: [3, 4] } });
    expect(parseIfMatch('*')).toEqual({ ok: true, value: { any: true } });
    expect(parseIfMatch(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseIfMatch('')).toEqual({ ok: true, value: undefined });
  });

  it('refuses anything else, naming the header', () => {
    for (const bad of ['12', '"x"', '"-1"', '"01"', '"1",', 'W/12']) {
      expect(parseIfMatch(bad)).toMatchObject({ ok: false, problems: [{ path: 'If-Match' }] });
    }
  });

  it('holds when absent, *, or naming the current revision', () => {
    expect(preconditionHolds(undefined, 5)).toBe(true);
    expect(preconditionHolds({ any: true }, 5)).toBe(true);
    expect(preconditionHolds({ any: false, revisions: [4, 5] }, 5)).toBe(true);
    expect(preconditionHolds({ any: false, revisions: [4] }, 5)).toBe(false);
  });

  it('says which revision it is at now and who saved it', () => {
    expect(staleMessage('the configuration of host mx1', { any: false, revisions: [4] }, { revision: 6, by: 'alice (operator)', at: '2026-12-07T01:00:00.000Z' })).toBe(
      'the configuration of host mx1 changed since revision 4: it is at revision 6, saved by alice (operator) at 2026-12-07T01:00:00.000Z; reload it and make the change again',
    );
  });
});
