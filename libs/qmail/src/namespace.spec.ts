import { FIELD_TABLE } from './fields';
import { isManagedPath } from './namespace';

describe('isManagedPath', () => {
  it('covers the file of every control field', () => {
    for (const s of FIELD_TABLE) expect(isManagedPath(s.path)).toBe(true);
  });

  it.each([
    'control/morercpthosts.cdb',
    'control/virtualdomains',
    'control/smtproutes',
    'users/assign',
    'users/cdb',
    'alias/.qmail-postmaster',
    'alias/.qmail-john:doe',
    'alias/.qmail-sales-default',
    'alias/.qmail-a.b_c',
    'alias/qfleet/autoreply-sales',
  ])('includes %s', (path) => {
    expect(isManagedPath(path)).toBe(true);
  });

  it.each([
    ['a file qmail has no use for', 'control/notqmail'],
    ['the queue', 'queue/lock/sendmutex'],
    ['a program', 'bin/qmail-newu'],
    ['an absolute path', '/var/qmail/control/me'],
    ['a climb out', 'control/../bin/qmail-send'],
    ['a name with ..', 'alias/.qmail-a..b'],
    ['a doubled slash', 'control//me'],
    ['a NUL', 'control/me\0'],
    ['a backslash', 'alias/.qmail-a\\b'],
    ['a subdirectory under alias', 'alias/.qmail-a/b'],
    ['an alias file without a name', 'alias/.qmail-'],
    ['an alias name with upper case', 'alias/.qmail-Sales'],
    ['an alias name with a space', 'alias/.qmail-a b'],
    ['a directory of qfleet files', 'alias/qfleet/'],
    ['a nested qfleet file', 'alias/qfleet/a/b'],
    ['the bare .qmail', 'alias/.qmail'],
    ['the empty path', ''],
  ])('excludes %s', (_what, path) => {
    expect(isManagedPath(path)).toBe(false);
  });
});
