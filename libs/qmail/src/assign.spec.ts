import fc from 'fast-check';
import type { Assignment } from '@qfleet/protocol';
import { UnrenderableValue } from './control';
import { parseAssign, renderAssign, validateAssignments } from './assign';

const vpop: Assignment = { kind: 'prefix', address: 'example.com-', user: 'example.com', uid: 89, gid: 89, home: '/home/vpopmail/domains/example.com', dash: '-' };
const joe: Assignment = { kind: 'exact', address: 'joe.shmoe', user: 'joe', uid: 503, gid: 78, home: '/home/joe' };

describe('renderAssign', () => {
  it('writes = and + lines with the trailing colon, then the final dot', () => {
    expect(renderAssign([joe, vpop, { kind: 'prefix', address: '', user: 'alias', uid: 7790, gid: 2108, home: '/var/qmail/alias', dash: '-' }])).toBe(
      '=joe.shmoe:joe:503:78:/home/joe:::\n' +
        '+example.com-:example.com:89:89:/home/vpopmail/domains/example.com:-::\n' +
        '+:alias:7790:2108:/var/qmail/alias:-::\n' +
        '.\n',
    );
  });

  it('writes only the dot for an empty list, which qmail-newu accepts', () => {
    expect(renderAssign([])).toBe('.\n');
  });

  it('lowercases addresses and keeps the first of duplicates', () => {
    expect(renderAssign([{ ...joe, address: 'Joe.Shmoe' }, { ...joe, user: 'other' }])).toBe('=joe.shmoe:joe:503:78:/home/joe:::\n.\n');
  });

  it("refuses a ':' that would shift the fields", () => {
    expect(() => renderAssign([{ ...joe, home: '/home/a:b' }])).toThrow(UnrenderableValue);
    expect(() => renderAssign([joe, { ...joe, address: 'x', ext: 'a:b' }])).toThrow('assignments[1].ext');
  });
});

describe('parseAssign', () => {
  it('round-trips the vpopmail domain line', () => {
    const line = '+example.com-:example.com:89:89:/home/vpopmail/domains/example.com:-::\n.\n';
    expect(parseAssign(line).entries).toEqual([vpop]);
    expect(renderAssign(parseAssign(line).entries)).toBe(line);
  });

  it('stops at the first line starting with a dot', () => {
    const r = parseAssign('=joe.shmoe:joe:503:78:/home/joe:::\n.\n=late:x:1:1:/x:::\n');
    expect(r.entries).toEqual([joe]);
    expect(r.dropped).toHaveLength(1);
    expect(r.refused).toEqual([]);
  });

  it('keeps the first of two entries for one address', () => {
    const r = parseAssign('=joe.shmoe:joe:503:78:/home/joe:::\n=JOE.shmoe:other:1:1:/x:::\n.\n');
    expect(r.entries).toEqual([joe]);
    expect(r.dropped).toEqual([{ line: 2, message: 'duplicates line 1, which wins' }]);
  });

  it("refuses what qmail would misread: a comment line, too few colons, no final dot", () => {
    expect(parseAssign('#x:a:1:2:/h:::\n.\n').refused[0]?.message).toMatch(/exact entry/);
    expect(parseAssign('=joe:joe:1:1:/h::\n.\n').refused[0]?.message).toMatch(/fewer than 6 colons/);
    expect(parseAssign('=joe:joe:1:1:/h:::\n.\n').refused).toEqual([]);
    expect(parseAssign('=joe:joe:1:1:/h:::\n').refused[0]?.message).toMatch(/final/);
    expect(parseAssign('\n.\n').refused).toHaveLength(1);
  });

  it('keeps leading whitespace significant: a line starting with a blank is not an entry', () => {
    expect(parseAssign(' =joe:joe:1:1:/h:::\n.\n').refused).toHaveLength(1);
  });
});

describe('validateAssignments', () => {
  it('accepts LWQ and vpopmail entries', () => {
    expect(validateAssignments({ assignments: [joe, vpop] })).toEqual({ errors: [], warnings: [] });
  });

  it("names fields with ':', a relative home, uppercase and duplicate addresses", () => {
    const { errors, warnings } = validateAssignments({
      assignments: [{ ...joe, user: 'a:b' }, { ...joe, address: 'x', home: 'home/x' }, { ...joe, address: 'Joe.Shmoe' }, { ...joe, uid: 0, address: 'r' }],
    });
    expect(errors.map((e) => e.path)).toEqual(['assignments[0].user', 'assignments[1].home', 'assignments[3].uid']);
    expect(warnings.map((w) => w.path)).toEqual(['assignments[2].address', 'assignments[2].address']);
  });

  // Issue 10 #4: uid 0 was a warning and got applied; qmail-lspawn exits QLX_ROOT for it.
  it('refuses uid 0, naming the field', () => {
    expect(validateAssignments({ assignments: [{ ...joe, uid: 0 }] }).errors).toEqual([{ path: 'assignments[0].uid', message: 'must not be 0: qmail never delivers as root' }]);
  });

  // Issue 10 #4: `/home/../root` passed the "absolute path" check.
  it.each(['/home/../root', '/home/./joe', '/home//joe', '/home/joe/', '/..', `/${'a'.repeat(5000)}`, 'home/joe', ''])('refuses the home %j', (home) => {
    expect(validateAssignments({ assignments: [{ ...joe, home }] }).errors.map((e) => e.path)).toEqual(['assignments[0].home']);
  });

  it.each(['/', '/home/joe', '/var/qmail/alias', '/home/a.b/..c/...'])('accepts the home %j', (home) => {
    expect(validateAssignments({ assignments: [{ ...joe, home }] }).errors).toEqual([]);
  });
});

describe('assign properties', () => {
  const word = fc.stringMatching(/^[a-z0-9.-]{0,6}$/);
  const entry = fc
    .tuple(fc.constantFrom('=', '+'), word, fc.stringMatching(/^[a-z]{1,5}$/), fc.nat(70000), fc.nat(70000), fc.stringMatching(/^\/[a-z/]{0,8}$/), fc.constantFrom('', '-'), word)
    .map(([s, a, u, uid, gid, h, d, e]) => `${s}${a}:${u}:${uid}:${gid}:${h}:${d}:${e}:`);
  const file = fc.array(entry, { maxLength: 12 }).map((ls) => `${ls.join('\n')}${ls.length ? '\n' : ''}.\n`);

  /** qmail-lspawn's answer for a local part (QMAIL.md §2): exact first, then the longest prefix. */
  const lookup = (entries: Assignment[], local: string) =>
    entries.find((a) => a.kind === 'exact' && a.address === local) ??
    entries.filter((a) => a.kind === 'prefix' && local.startsWith(a.address)).sort((a, b) => b.address.length - a.address.length)[0];

  it('rewrites a generated file to one that assigns every local part the same', () => {
    fc.assert(
      fc.property(file, fc.array(word, { maxLength: 8 }), (content, locals) => {
        const before = parseAssign(content);
        expect(before.refused).toEqual([]);
        const after = parseAssign(renderAssign(before.entries));
        expect(after.entries).toEqual(before.entries);
        for (const l of locals) expect(lookup(after.entries, l)).toEqual(lookup(before.entries, l));
      }),
    );
  });
});
