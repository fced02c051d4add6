import { InvalidFolderName } from './errors';
import { folderDir, folderOfDir, isMessageName, newestFirst, parseMaildirName } from './maildir';

describe('Maildir names (QMAIL.md §6)', () => {
  it('takes the unique part before :2, and the flags after it', () => {
    expect(parseMaildirName('1700000000.123.host:2,RS')).toEqual({ id: '1700000000.123.host', flags: 'RS' });
    expect(parseMaildirName('1700000000.123.host')).toEqual({ id: '1700000000.123.host', flags: '' });
    expect(parseMaildirName('1700000000.M1P2.host,S=1234:2,')).toEqual({ id: '1700000000.M1P2.host,S=1234', flags: '' });
  });

  it('skips names starting with a dot', () => {
    expect(isMessageName('.nfs000')).toBe(false);
    expect(isMessageName('1.2.h')).toBe(true);
  });

  it('maps Maildir++ folders to .Name directories and refuses names that leave the Maildir', () => {
    expect(folderDir('')).toBe('');
    expect(folderDir('Sent')).toBe('.Sent');
    expect(folderOfDir('.Lists.qmail')).toBe('Lists.qmail');
    expect(folderOfDir('..')).toBeNull();
    for (const bad of ['../x', 'a/b', '.', '..']) expect(() => folderDir(bad)).toThrow(InvalidFolderName);
  });

  it('orders newest delivery first, then by name', () => {
    const m = (path: string, t: number) => ({ path, mtime: new Date(t) });
    expect(newestFirst([m('a', 1), m('c', 2), m('b', 2)]).map((x) => x.path)).toEqual(['c', 'b', 'a']);
  });
});
