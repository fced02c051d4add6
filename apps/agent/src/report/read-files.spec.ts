import { chmod, link, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeQmailTree, type QmailTree } from '../apply/test-support/qmail-tree';
import { readQmailFiles } from './read-files';

let tree: QmailTree;
beforeEach(async () => {
  tree = await makeQmailTree({ 'control/me': 'mail.example.com\n', 'alias/.qmail-postmaster': 'admin\n' });
});
afterEach(() => tree.cleanup());

describe('readQmailFiles (what an import sends to the controller)', () => {
  it('reports an alias file linked to another (LWQ mailer-daemon) as skipped, so an import leaves the link alone (issue 12)', async () => {
    await symlink('.qmail-postmaster', join(tree.home, 'alias/.qmail-mailer-daemon'));
    const answer = await readQmailFiles(tree.home);
    expect(answer.files).toEqual({ 'control/me': 'mail.example.com\n', 'alias/.qmail-postmaster': 'admin\n' });
    expect(answer.skipped).toEqual([{ path: 'alias/.qmail-mailer-daemon', reason: 'a symbolic link to .qmail-postmaster: qmail follows it; qfleet leaves links as they are' }]);
  });

  it('never sends a root-only file that the alias user hard-linked into alias/', async () => {
    const secret = join(tree.root, 'shadow');
    await writeFile(secret, 'root:SECRET-HASH:19000::::::\n');
    await chmod(secret, 0o600);
    await link(secret, join(tree.home, 'alias/.qmail-x'));

    const answer = await readQmailFiles(tree.home);
    expect(JSON.stringify(answer)).not.toContain('SECRET');
    expect(answer.skipped).toEqual([{ path: 'alias/.qmail-x', reason: 'has 2 hard links' }]);
  });
});
