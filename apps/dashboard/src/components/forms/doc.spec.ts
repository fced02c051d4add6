import { aliasFile, anchorOf, changedFields, placeProblems, sectionOf, stateOf, withField } from './doc';

describe('the forms’ document', () => {
  it('reads absent as not managed, null as removed, a value (even []) as managed', () => {
    expect(stateOf({}, 'locals')).toBe('unmanaged');
    expect(stateOf({ locals: null }, 'locals')).toBe('removed');
    expect(stateOf({ locals: [] }, 'locals')).toBe('managed');
    expect(stateOf({ databytes: 0 }, 'databytes')).toBe('managed');
  });

  it('takes a field out of the document for not managed, and keeps what it does not edit', () => {
    const doc = { locals: ['a.example'], remove: { locals: ['b.example'] } };
    expect(withField(doc, 'locals', undefined)).toEqual({ remove: { locals: ['b.example'] } });
    expect(withField(doc, 'locals', null)).toEqual({ locals: null, remove: { locals: ['b.example'] } });
  });

  it('lists the changed fields with their managed state before and after', () => {
    expect(changedFields({ locals: ['a'], databytes: 5, me: 'x' }, { locals: ['a', 'b'], databytes: null })).toEqual([
      { key: 'locals', from: 'managed', to: 'managed' },
      { key: 'databytes', from: 'managed', to: 'removed' },
      { key: 'me', from: 'managed', to: 'unmanaged' },
    ]);
  });
});

describe('where a problem is shown', () => {
  it.each([
    ['locals[1]', 'locals[1]'],
    ['locals', 'locals'],
    ['me', 'me'],
    ['openRelay', 'openRelay'],
    ['virtualdomains[0].prefix', 'virtualdomains[0].prefix'],
    ['smtproutes[2].port', 'smtproutes[2].port'],
    ['assignments[0].uid', 'assignments[0].uid'],
    ['aliases[2].destinations[0].value', 'aliases[2].destinations[0].value'],
    ['aliases[0].destinations[1].autoreply.subject', 'aliases[0].destinations[1].autoreply.subject'],
    ['aliases[0].destinations[1].filter.rules[3].contains', 'aliases[0].destinations[1].filter.rules[3].contains'],
    ['aliases[0].destinations[1].filter.otherwise.to', 'aliases[0].destinations[1].filter.otherwise.to'],
    ['aliases[0].destinations[1].autoreply', 'aliases[0].destinations[1].autoreply'],
    ['aliases[0].destinations[1].filter', 'aliases[0].destinations[1].filter'],
    // no element of its own: the nearest one that has
    ['aliases[0].destinations[1].autoreply.nosuch', 'aliases[0].destinations[1].autoreply'],
    ['aliases[0].destinations[1].discard', 'aliases[0].destinations[1]'],
    ['aliases[0].nosuch', 'aliases[0]'],
    ['remove.locals[0]', ''],
    ['', ''],
  ])('%s beside %s', (path, at) => {
    expect(anchorOf(path)).toBe(at);
  });

  it('places each problem once, naming the rest of its path when shown at a parent', () => {
    const placed = placeProblems([
      { path: 'locals[1]', message: 'is not a valid domain name' },
      { path: 'aliases[0].destinations[0].mystery', message: 'unknown field' },
      { path: 'lokals', message: 'unknown field' },
      { path: 'remove.colour', message: 'unknown field' },
    ]);
    expect(Object.fromEntries(placed)).toEqual({
      'locals[1]': ['is not a valid domain name'],
      'aliases[0].destinations[0]': ['mystery: unknown field'],
      '': ['lokals: unknown field', 'remove.colour: unknown field'],
    });
  });

  it('knows the section of every field', () => {
    expect(sectionOf('locals[3]')).toBe('locals');
    expect(sectionOf('morercpthosts')).toBe('accepted');
    expect(sectionOf('badmailfrom[0]')).toBe('options');
    expect(sectionOf('queuelifetime')).toBe('options');
    expect(sectionOf('aliases[0].name')).toBe('aliases');
    expect(sectionOf('remove.locals')).toBeUndefined();
  });
});

describe('an alias’s file', () => {
  it('is the lowercased name with . as :, behind its virtual domain’s prefix', () => {
    expect(aliasFile('John.Doe', undefined, undefined)).toBe('alias/.qmail-john:doe');
    expect(aliasFile('info', 'Virt.example', [{ match: 'virt.example', prefix: 'vd' }])).toBe('alias/.qmail-vd-info');
    expect(aliasFile('info', 'other.example', [{ match: 'virt.example', prefix: 'vd' }])).toBeUndefined();
  });
});
