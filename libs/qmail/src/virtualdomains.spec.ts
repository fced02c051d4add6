import fc from 'fast-check';
import type { HostDocument } from '@qfleet/protocol';
import { UnrenderableValue } from './control';
import {
  autoPrefix,
  lookupVirtualDomain,
  parseVirtualDomains,
  renderVirtualDomains,
  validateVirtualDomains,
} from './virtualdomains';

describe('renderVirtualDomains', () => {
  it('writes match:prefix lines in document order, keys lowercase', () => {
    expect(
      renderVirtualDomains([
        { match: 'Example.COM', prefix: 'Example' },
        { match: 'joe@other.example', prefix: 'joe' },
        { match: '.sub.example', prefix: 'sub' },
        { match: '', prefix: 'catchall' },
      ]),
    ).toBe('example.com:Example\njoe@other.example:joe\n.sub.example:sub\n:catchall\n');
  });

  it('renders an empty list as an empty file', () => {
    expect(renderVirtualDomains([])).toBe('');
  });

  it('keeps the first of two matches that differ only in case', () => {
    expect(renderVirtualDomains([{ match: 'a.example', prefix: 'a' }, { match: 'A.example', prefix: 'b' }])).toBe('a.example:a\n');
  });

  it("refuses a match with ':' or '#', which qmail would misread", () => {
    expect(() => renderVirtualDomains([{ match: 'a:b', prefix: 'x' }])).toThrow(UnrenderableValue);
    expect(() => renderVirtualDomains([{ match: 'a', prefix: 'x' }, { match: '#a', prefix: 'x' }])).toThrow('virtualdomains[1].match');
  });
});

describe('parseVirtualDomains', () => {
  it('skips comments and blank lines, strips trailing blanks, ignores lines without a colon', () => {
    const r = parseVirtualDomains('# vpopmail\n\nexample.com:example.com  \nnocolon\n  \n:alias-catch\n');
    expect(r.entries).toEqual([
      { match: 'example.com', prefix: 'example.com' },
      { match: '', prefix: 'alias-catch' },
    ]);
    expect(r.dropped.map((d) => d.line)).toEqual([1, 2, 4, 5]);
    expect(r.refused).toEqual([]);
  });

  it('lets the later of two equal keys win, case-insensitively', () => {
    const r = parseVirtualDomains('example.com:one\nother.example:o\nEXAMPLE.com:two\n');
    expect(r.entries).toEqual([
      { match: 'other.example', prefix: 'o' },
      { match: 'example.com', prefix: 'two' },
    ]);
    expect(r.dropped).toEqual([{ line: 1, message: 'overridden by line 3, which has the same key' }]);
  });

  it('keeps everything after the first colon as the prefix', () => {
    expect(parseVirtualDomains('a.example:b:c').entries).toEqual([{ match: 'a.example', prefix: 'b:c' }]);
  });

  it('drops a key with a leading blank (it never matches) and refuses a prefix with one', () => {
    const r = parseVirtualDomains(' a.example:a\nb.example: b\n');
    expect(r.entries).toEqual([]);
    expect(r.dropped.map((d) => d.line)).toEqual([1]);
    expect(r.refused.map((d) => d.line)).toEqual([2]);
  });
});

describe('lookupVirtualDomain', () => {
  const map = [
    { match: 'joe@example.com', prefix: 'joe' },
    { match: 'example.com', prefix: 'ex' },
    { match: '.example.net', prefix: 'net' },
    { match: '', prefix: 'all' },
  ];
  it.each([
    ['joe@example.com', 'joe'],
    ['Joe@EXAMPLE.com', 'joe'],
    ['ann@example.com', 'ex'],
    ['ann@a.b.example.net', 'net'],
    ['ann@example.net', 'all'],
    ['ann@elsewhere.org', 'all'],
  ])('%s → %s (user@domain, domain, .suffix, then "")', (addr, prefix) => {
    expect(lookupVirtualDomain(map, addr)).toBe(prefix);
  });

  it('finds nothing without a catch-all', () => {
    expect(lookupVirtualDomain([{ match: 'a.example', prefix: 'a' }], 'x@b.example')).toBeUndefined();
  });
});

describe('autoPrefix', () => {
  it.each([
    ['example.com', 'example'],
    ['Mail.Example.com', 'mail'],
    ['joe@example.com', 'example'],
    ['', 'catchall'],
  ])('%s → %s, as Webmin does', (match, prefix) => expect(autoPrefix(match)).toBe(prefix));
});

describe('validateVirtualDomains', () => {
  const check = (doc: HostDocument) => validateVirtualDomains(doc);

  it('accepts domains, .suffixes, user@domain and the catch-all', () => {
    expect(
      check({ virtualdomains: [{ match: 'example.com', prefix: 'example' }, { match: '.example.net', prefix: 'n' }, { match: 'joe@example.org', prefix: 'j_1.x' }, { match: '', prefix: '' }] }),
    ).toEqual({ errors: [], warnings: [] });
  });

  it('names bad matches, bad prefixes and duplicates', () => {
    const { errors } = check({
      virtualdomains: [
        { match: 'bad domain', prefix: 'a' },
        { match: 'a.example', prefix: 'has:colon' },
        { match: 'A.example', prefix: 'b' },
        { match: '@a.example', prefix: 'c' },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual(['virtualdomains[0].match', 'virtualdomains[1].prefix', 'virtualdomains[2].match', 'virtualdomains[3].match']);
    expect(errors[2]?.message).toBe('duplicates virtualdomains[1].match');
  });

  it('warns when the domain is also in locals, which wins', () => {
    const { warnings } = check({ locals: ['Example.com'], virtualdomains: [{ match: 'example.com', prefix: 'example' }] });
    expect(warnings).toEqual([{ path: 'virtualdomains[0].match', message: 'example.com is also in locals, which wins: this mapping never applies' }]);
  });
});

describe('virtualdomains properties', () => {
  const domain = fc.stringMatching(/^[a-z]{1,3}(\.[a-z]{1,3}){0,2}$/);
  const key = fc.oneof(domain, domain.map((d) => `.${d}`), fc.tuple(fc.stringMatching(/^[a-z]{1,3}$/), domain).map(([u, d]) => `${u}@${d}`), fc.constant(''));
  const fileLine = fc.oneof(
    fc.tuple(key, fc.stringMatching(/^[A-Za-z0-9_.-]{0,4}$/)).map(([k, p]) => `${k}:${p}`),
    fc.tuple(key, fc.stringMatching(/^[a-z]{0,3}$/)).map(([k, p]) => `${k.toUpperCase()}:${p}\t `),
    fc.constantFrom('', '# comment', '  ', 'nocolon.example'),
  );
  const file = fc.array(fileLine, { maxLength: 15 }).map((ls) => ls.join('\n'));
  const probe = fc.tuple(fc.stringMatching(/^[a-z]{1,3}$/), domain).map(([u, d]) => `${u}@${d}`);

  it('rewrites a hand-made file to one with the same lookups', () => {
    fc.assert(
      fc.property(file, fc.array(probe, { maxLength: 10 }), (content, probes) => {
        const before = parseVirtualDomains(content);
        const after = parseVirtualDomains(renderVirtualDomains(before.entries));
        expect(after.entries).toEqual(before.entries);
        for (const p of probes) expect(lookupVirtualDomain(after.entries, p)).toBe(lookupVirtualDomain(before.entries, p));
      }),
    );
  });
});
