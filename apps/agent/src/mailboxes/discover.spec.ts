import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../requests/test-support/messages';
import { discoverMailboxes, findMailbox, type DiscoverSettings } from './discover';

/**
 * A qmail host as a new user finds it (issue 12): passwd full of system accounts without mail,
 * a Maildir user, an mbox user, a users/assign home and ~alias deliveries, in qmail's real layout.
 */
let root: { dir: string; cleanup: () => Promise<void> };
const home = (name: string) => join(root.dir, 'home', name);
const qmailHome = () => join(root.dir, 'var/qmail');
const settings = (format: 'maildir' | 'mbox' = 'maildir'): DiscoverSettings => ({
  qmailHome: qmailHome(),
  mailbox: { format, maildirName: 'Maildir', mboxName: 'Mailbox', passwdFile: join(root.dir, 'passwd') },
});

async function maildir(dir: string): Promise<void> {
  for (const d of ['tmp', 'new', 'cur']) await mkdir(join(dir, d), { recursive: true });
}
const chown = (uid: number, path: string) => execFileSync('chown', ['-R', `${uid}:${uid}`, path]);

beforeEach(async () => {
  root = await tempDir('qfleet-discover-');
  await mkdir(join(qmailHome(), 'users'), { recursive: true });
  await mkdir(join(qmailHome(), 'alias'), { recursive: true });
  await writeFile(
    join(root.dir, 'passwd'),
    [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      `systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin`,
      `qmaild:x:64:65:qmail:${qmailHome()}:/bin/false`,
      `alias:x:7790:2108:qmail alias:${join(qmailHome(), 'alias')}:/bin/false`,
      `joe:x:1001:1001:Joe:${home('joe')}:/bin/sh`,
      `ann:x:1002:1002:Ann:${home('ann')}:/bin/sh`,
      `both:x:1003:1003:Both:${home('both')}:/bin/sh`,
      `empty:x:1004:1004:No mail yet:${home('empty')}:/bin/sh`,
      `notmine:x:1005:1005:Home owned by another:${home('notmine')}:/bin/sh`,
      `Caps:x:1006:1006:Upper case:${home('caps')}:/bin/sh`,
      '',
    ].join('\n'),
  );
  await maildir(join(home('joe'), 'Maildir'));
  await mkdir(home('ann'), { recursive: true });
  await writeFile(join(home('ann'), 'Mailbox'), '');
  await maildir(join(home('both'), 'Maildir'));
  await writeFile(join(home('both'), 'Mailbox'), '');
  await mkdir(home('empty'), { recursive: true });
  await maildir(join(home('notmine'), 'Maildir'));
  await maildir(join(home('caps'), 'Maildir'));
  // A virtual domain's user in users/assign only, and a vpopmail-style domain home with no mailbox.
  await maildir(join(home('virt'), 'Maildir'));
  await mkdir(home('vpop'), { recursive: true });
  await writeFile(
    join(qmailHome(), 'users/assign'),
    `+vd-:vd:3001:3001:${home('virt')}:-::\n+example.com-:example.com:89:89:${home('vpop')}:-::\n.\n`,
  );
  // ~alias: a Maildir and an mbox delivery, a forward, a link to another file (LWQ), a Maildir not made yet.
  const alias = join(qmailHome(), 'alias');
  await maildir(join(alias, 'Maildirs/sales'));
  await writeFile(join(alias, 'archive.mbox'), '');
  await writeFile(join(alias, '.qmail-sales'), '# sales\n./Maildirs/sales/\n./archive.mbox\n&boss@example.com\n');
  await writeFile(join(alias, '.qmail-postmaster'), '&admin@example.com\n');
  await symlink('.qmail-sales', join(alias, '.qmail-ventas'));
  await writeFile(join(alias, '.qmail-later'), './Maildirs/later/\n');
  for (const [name, uid] of [['joe', 1001], ['ann', 1002], ['both', 1003], ['empty', 1004], ['notmine', 0], ['caps', 1006], ['virt', 3001], ['vpop', 89]] as const) chown(uid, home(name));
  chown(7790, join(alias, 'Maildirs'));
  chown(7790, join(alias, 'archive.mbox'));
});
afterEach(() => root.cleanup());

describe('discoverMailboxes', () => {
  it('lists the mailboxes that exist, each with its own format, and no system account', async () => {
    const found = await discoverMailboxes(settings());
    expect(found.map((m) => [m.id, m.format, m.source])).toEqual([
      ['alias+sales', 'maildir', 'alias'],
      ['alias+sales+2', 'mbox', 'alias'],
      ['ann', 'mbox', 'home'],
      ['both', 'maildir', 'home'],
      ['joe', 'maildir', 'home'],
      ['vd', 'maildir', 'assign'],
    ]);
    expect(found.find((m) => m.id === 'joe')).toEqual({ id: 'joe', user: 'joe', uid: 1001, home: home('joe'), path: join(home('joe'), 'Maildir'), format: 'maildir', source: 'home' });
    expect(found.find((m) => m.id === 'ann')?.path).toBe(join(home('ann'), 'Mailbox'));
    expect(found.find((m) => m.id === 'vd')).toMatchObject({ user: 'vd', uid: 3001, home: home('virt') });
    expect(found.find((m) => m.id === 'alias+sales')).toEqual({
      id: 'alias+sales',
      user: 'alias',
      uid: 7790,
      home: join(qmailHome(), 'alias'),
      path: join(qmailHome(), 'alias/Maildirs/sales'),
      format: 'maildir',
      source: 'alias',
      dotQmail: '.qmail-sales',
    });
  });

  it('takes the --mailbox format (qmail-start defaultdelivery) when a home has both', async () => {
    const found = await discoverMailboxes(settings('mbox'));
    expect(found.find((m) => m.id === 'both')).toMatchObject({ format: 'mbox', path: join(home('both'), 'Mailbox') });
    expect(found.find((m) => m.id === 'joe')?.format).toBe('maildir');
  });

  it('finds the alias user by the owner of ~alias when passwd has no alias line', async () => {
    await writeFile(join(root.dir, 'passwd'), `joe:x:1001:1001:Joe:${home('joe')}:/bin/sh\n`);
    execFileSync('chown', ['7791:7791', join(qmailHome(), 'alias')]);
    const found = await discoverMailboxes(settings());
    expect(found.find((m) => m.id === 'alias+sales')).toMatchObject({ user: 'alias', uid: 7791 });
  });

  it('finds one mailbox by id, and says why a uid-0 home is refused', async () => {
    expect(await findMailbox(settings(), 'ann')).toMatchObject({ format: 'mbox' });
    expect(await findMailbox(settings(), 'nobody')).toBeUndefined();
    await writeFile(join(qmailHome(), 'users/assign'), `=boss:boss:0:0:${home('joe')}:::\n.\n`);
    expect(await findMailbox(settings(), 'boss')).toEqual({ refused: expect.stringContaining('uid 0') });
  });
});
