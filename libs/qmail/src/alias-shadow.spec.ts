import type { Assignment, HostDocument } from '@qfleet/protocol';
import { assignLookup, findShadowedAliases, passwdOwner, type PasswdAccount } from './alias-shadow';
import { validateDocument } from './validate';

const exact = (address: string, user: string, home: string, ext?: string): Assignment => ({ kind: 'exact', address, user, uid: 1001, gid: 1001, home, dash: ext === undefined ? '' : '-', ...(ext === undefined ? {} : { ext }) });
const prefix = (address: string, user: string, home: string, over: Partial<Assignment> = {}): Assignment => ({ kind: 'prefix', address, user, uid: 89, gid: 89, home, dash: '-', ...over });
const forward = [{ kind: 'forward' as const, value: 'x@elsewhere.example' }];

describe('assignLookup (qmail-lspawn: exact key, then the longest wildcard prefix)', () => {
  const lookup = assignLookup([
    exact('Joe.Shmoe', 'joe', '/home/joe'),
    prefix('vd-', 'vd', '/home/vd'),
    prefix('vd-sales-', 'sales', '/home/sales', { ext: 'in-' }),
    prefix('', 'alias', '/var/qmail/alias'),
    exact('joe.shmoe', 'second', '/home/second'),
  ]);

  it('matches an exact entry case-insensitively, the first of two winning', () => {
    expect(lookup('joe.SHMOE')).toMatchObject({ index: 0, dotQmail: '.qmail' });
  });

  it('takes the longest wildcard prefix and appends the rest of the local part to its ext', () => {
    expect(lookup('vd-deadx')).toMatchObject({ index: 1, dotQmail: '.qmail-deadx' });
    expect(lookup('vd-sales-eu')).toMatchObject({ index: 2, dotQmail: '.qmail-in-eu' });
    // "including nothing": the prefix alone matches.
    expect(lookup('vd-')).toMatchObject({ index: 1, dotQmail: '.qmail-' });
  });

  it('falls to the empty prefix (the catch-all), mapping . to : as qmail-local does', () => {
    expect(lookup('john.doe')).toMatchObject({ index: 3, dotQmail: '.qmail-john:doe' });
  });

  it('finds nothing without a catch-all', () => {
    expect(assignLookup([prefix('vd-', 'vd', '/home/vd')])('other')).toBeUndefined();
  });
});

describe('passwdOwner (qmail-getpw)', () => {
  const accounts: Record<string, PasswdAccount> = {
    joe: { name: 'joe', uid: 1001, home: '/home/joe', homeOwner: 1001 },
    root: { name: 'root', uid: 0, home: '/root', homeOwner: 0 },
    nobody: { name: 'nobody', uid: 65534, home: '/nonexistent' },
    daemon: { name: 'daemon', uid: 1, home: '/usr/sbin', homeOwner: 0 },
    'joe-list': { name: 'joe-list', uid: 1002, home: '/home/joelist', homeOwner: 1002 },
  };
  const get = (n: string) => accounts[n];

  it('takes a user with a home it owns, and user-ext', () => {
    expect(passwdOwner('joe', get)).toEqual({ account: accounts['joe'], ext: '' });
    expect(passwdOwner('Joe-Sales', get)).toEqual({ account: accounts['joe'], ext: 'Sales' });
  });

  it('tries the longest name before a - first', () => {
    expect(passwdOwner('joe-list-x', get)).toEqual({ account: accounts['joe-list'], ext: 'x' });
  });

  it('refuses uid 0, a missing home and a home owned by someone else', () => {
    expect(passwdOwner('root', get)).toBeUndefined();
    expect(passwdOwner('nobody', get)).toBeUndefined();
    expect(passwdOwner('daemon', get)).toBeUndefined();
    expect(passwdOwner('sales', get)).toBeUndefined();
  });
});

describe('findShadowedAliases', () => {
  const doc = (over: HostDocument): HostDocument => ({ locals: ['example.com'], virtualdomains: [{ match: 'virt.example', prefix: 'vd' }], ...over });

  it('warns about an alias of a virtual domain whose prefix users/assign claims (issue 12 example)', () => {
    const d = doc({ assignments: [prefix('vd-', 'vd', '/home/vd')], aliases: [{ name: 'deadx', domain: 'virt.example', destinations: forward }] });
    const warnings = findShadowedAliases(d);
    expect(warnings).toEqual([
      {
        path: 'aliases[0]',
        message: 'deadx@virt.example (delivered as vd-deadx) is claimed by users/assign assignments[0] (+vd-): qmail delivers it as user vd through /home/vd/.qmail-deadx and never reads ~alias/.qmail-vd-deadx',
      },
    ]);
    // The controller's validation carries it, so PUT, PATCH, plan and import return it.
    expect(validateDocument(d).warnings).toEqual(expect.arrayContaining(warnings));
  });

  it('warns about an exact entry for a plain alias', () => {
    const d = doc({ assignments: [exact('sales', 'joe', '/home/joe')], aliases: [{ name: 'Sales', destinations: forward }] });
    expect(findShadowedAliases(d)).toEqual([{ path: 'aliases[0]', message: expect.stringContaining('Sales is claimed by users/assign assignments[0] (=sales): qmail delivers it as user joe through /home/joe/.qmail') }]);
  });

  it('warns about a vpopmail domain entry', () => {
    const d = doc({
      virtualdomains: [{ match: 'example.org', prefix: 'example.org' }],
      assignments: [prefix('example.org-', 'example.org', '/home/vpopmail/domains/example.org')],
      aliases: [{ name: 'info', domain: 'example.org', destinations: forward }],
    });
    expect(findShadowedAliases(d)[0]?.message).toContain('/home/vpopmail/domains/example.org/.qmail-info and never reads ~alias/.qmail-example:org-info');
  });

  it('does not warn when the catch-all hands the address back to the same file in ~alias (LWQ)', () => {
    const d = doc({ assignments: [prefix('', 'alias', '/var/qmail/alias')], aliases: [{ name: 'postmaster', destinations: forward }, { name: 'deadx', domain: 'virt.example', destinations: forward }] });
    expect(findShadowedAliases(d)).toEqual([]);
  });

  it('warns when a catch-all in ~alias sends the address to another file', () => {
    const d = doc({ assignments: [prefix('', 'alias', '/var/qmail/alias', { ext: 'all-' })], aliases: [{ name: 'postmaster', destinations: forward }] });
    expect(findShadowedAliases(d)[0]?.message).toContain('/var/qmail/alias/.qmail-all-postmaster and never reads ~alias/.qmail-postmaster');
  });

  it('leaves aliases no entry matches, and a default alias only partly covered', () => {
    const d = doc({
      assignments: [prefix('vd-sales-', 'sales', '/home/sales'), exact('vd-default', 'x', '/home/x')],
      aliases: [{ name: 'info', domain: 'virt.example', destinations: forward }, { name: 'default', domain: 'virt.example', destinations: forward }, { name: 'other', destinations: forward }],
    });
    expect(findShadowedAliases(d)).toEqual([]);
  });

  it('warns about a default alias when a prefix claims everything it catches', () => {
    const d = doc({ assignments: [prefix('vd-', 'vd', '/home/vd')], aliases: [{ name: 'default', domain: 'virt.example', destinations: forward }] });
    expect(findShadowedAliases(d)).toEqual([{ path: 'aliases[0]', message: expect.stringContaining('(+vd-)') }]);
  });

  it('says nothing without assignments or aliases', () => {
    expect(findShadowedAliases(doc({ aliases: [{ name: 'a', destinations: forward }] }))).toEqual([]);
    expect(findShadowedAliases(doc({ assignments: [prefix('', 'alias', '/x')] }))).toEqual([]);
  });
});
