import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../requests/test-support/messages';
import { passwdShadowedAliases } from './shadowed-aliases';

let root: { dir: string; cleanup: () => Promise<void> };
const home = (n: string) => join(root.dir, 'home', n);

beforeEach(async () => {
  root = await tempDir('qfleet-shadow-');
  await mkdir(join(root.dir, 'users'), { recursive: true });
  for (const n of ['joe', 'notmine']) await mkdir(home(n), { recursive: true });
  execFileSync('chown', ['1001:1001', home('joe')]);
  await writeFile(
    join(root.dir, 'passwd'),
    [
      'root:x:0:0:root:/root:/bin/bash',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      `joe:x:1001:1001:Joe:${home('joe')}:/bin/sh`,
      `notmine:x:1002:1002:Home of root:${home('notmine')}:/bin/sh`,
      `vd:x:1003:1003:Assigned:${home('joe')}:/bin/sh`,
      '',
    ].join('\n'),
  );
});
afterEach(() => root.cleanup());

const check = (files: string[]) => passwdShadowedAliases(root.dir, join(root.dir, 'passwd'), files);

describe('passwdShadowedAliases (qmail-getpw before ~alias)', () => {
  it('names the alias files a passwd user with a home of his own takes, user and user-ext', async () => {
    expect(await check(['alias/.qmail-joe', 'alias/.qmail-joe-sales', 'alias/.qmail-sales', 'control/me'])).toEqual([
      `alias/.qmail-joe is never read: passwd user joe takes joe first (qmail-getpw), through ${home('joe')}/.qmail`,
      `alias/.qmail-joe-sales is never read: passwd user joe takes joe-sales first (qmail-getpw), through ${home('joe')}/.qmail-sales`,
    ]);
  });

  it('leaves root, accounts without a home or with a home of someone else, and default files', async () => {
    expect(await check(['alias/.qmail-root', 'alias/.qmail-nobody', 'alias/.qmail-notmine', 'alias/.qmail-joe-default', 'alias/.qmail-default'])).toEqual([]);
  });

  it('leaves what users/assign claims first (the controller warns about that)', async () => {
    await writeFile(join(root.dir, 'users/assign'), `=joe:joe:1001:1001:${home('joe')}:::\n.\n`);
    expect(await check(['alias/.qmail-joe', 'alias/.qmail-joe-x'])).toEqual([expect.stringContaining('alias/.qmail-joe-x')]);
  });
});
