import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InvalidFolderName,
  MessageNotFound,
  deleteMaildirMessages,
  listMaildir,
  maildirStats,
  readMaildirMessage,
} from '@qfleet/qmail';
import { deliverToMaildir, makeMaildir, message, tempDir } from './mailboxes';

const at = (minute: number) => new Date(Date.UTC(2024, 0, 2, 10, minute));
const mail = (n: number) => message({ from: `s${n}@example.com`, to: 'u@example.org', subject: `m${n}`, body: `body ${n}` });

describe('Maildir reading and deleting (QMAIL.md §6, §7)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let md: string;
  let names: string[];

  beforeEach(() => {
    tmp = tempDir('maildir');
    md = makeMaildir(join(tmp.dir, 'Maildir'));
    names = [1, 2, 3].map((n) => deliverToMaildir(md, mail(n), at(n)));
    // A reader has seen message 1 and flagged it replied+seen.
    renameSync(join(md, 'new', names[0]), join(md, 'cur', `${names[0]}:2,RS`));
  });
  afterEach(() => tmp.remove());

  it('lists new/ and cur/ newest first with id, path, size, delivery time, flags and isNew', async () => {
    const list = await listMaildir(md);
    expect(list.map((m) => m.id)).toEqual([names[2], names[1], names[0]]);
    expect(list[2]).toEqual({
      id: names[0],
      folder: '',
      path: `cur/${names[0]}:2,RS`,
      size: Buffer.byteLength(mail(1)),
      mtime: at(1),
      flags: 'RS',
      isNew: false,
    });
    expect(list[0]).toMatchObject({ path: `new/${names[2]}`, flags: '', isNew: true });
  });

  it('skips dot-files and tmp/ (deliveries in progress)', async () => {
    writeFileSync(join(md, 'new', '.hidden'), 'x');
    writeFileSync(join(md, 'tmp', '1.2.inprogress'), 'partial');
    expect((await listMaildir(md)).map((m) => m.id)).not.toContain('1.2.inprogress');
    expect(await listMaildir(md)).toHaveLength(3);
  });

  it('never moves files from new/ to cur/ when reading (Webmin does, QMAIL.md §7)', async () => {
    const before = { new: readdirSync(join(md, 'new')).sort(), cur: readdirSync(join(md, 'cur')).sort() };
    await listMaildir(md);
    await readMaildirMessage(md, names[2]);
    await maildirStats(md);
    expect({ new: readdirSync(join(md, 'new')).sort(), cur: readdirSync(join(md, 'cur')).sort() }).toEqual(before);
    expect(statSync(join(md, 'new', names[2])).mtime).toEqual(at(3));
  });

  it('reads Maildir++ folders only when asked', async () => {
    const sent = makeMaildir(join(md, '.Sent'));
    const inSent = deliverToMaildir(sent, mail(9), at(9));
    mkdirSync(join(md, '.not-a-folder'));
    expect((await listMaildir(md)).map((m) => m.folder)).toEqual(['', '', '']);
    const all = await listMaildir(md, { folders: true });
    expect(all[0]).toMatchObject({ id: inSent, folder: 'Sent', path: `.Sent/new/${inSent}`, isNew: true });
    expect(all).toHaveLength(4);
    await expect(readMaildirMessage(md, inSent, { folder: 'Sent' })).resolves.toEqual(Buffer.from(mail(9)));
    await expect(listMaildir(md, { folders: true })).resolves.toHaveLength(4);
    await expect(deleteMaildirMessages(md, [inSent], { folder: '../x' })).rejects.toThrow(InvalidFolderName);
  });

  it('counts like Webmin: size of cur+new+tmp, count of non-empty files in new+cur, dot-folders skipped', async () => {
    writeFileSync(join(md, 'tmp', '1.2.inprogress'), '12345');
    writeFileSync(join(md, 'new', '9.9.empty'), '');
    deliverToMaildir(makeMaildir(join(md, '.Sent')), mail(7));
    const size = [1, 2, 3].reduce((s, n) => s + Buffer.byteLength(mail(n)), 0) + 5;
    expect(await maildirStats(md)).toEqual({ size, count: 3 });
  });

  it('reads a message by id even after a reader moved it to cur/', async () => {
    renameSync(join(md, 'new', names[1]), join(md, 'cur', `${names[1]}:2,S`));
    await expect(readMaildirMessage(md, names[1])).resolves.toEqual(Buffer.from(mail(2)));
    await expect(readMaildirMessage(md, 'no.such.id')).rejects.toThrow(MessageNotFound);
  });

  it('deletes by unlinking the right files and reports unknown ids', async () => {
    const result = await deleteMaildirMessages(md, [names[0], names[2], 'no.such.id']);
    expect(result).toEqual({ deleted: [names[0], names[2]], missing: ['no.such.id'] });
    expect(readdirSync(join(md, 'cur'))).toEqual([]);
    expect(readdirSync(join(md, 'new'))).toEqual([names[1]]);
  });

  it('two deletes racing for one message both succeed and the file is gone', async () => {
    const results = await Promise.all([deleteMaildirMessages(md, [names[1]]), deleteMaildirMessages(md, [names[1]])]);
    for (const r of results) expect([...r.deleted, ...r.missing]).toEqual([names[1]]);
    expect(results.some((r) => r.deleted.length === 1)).toBe(true);
    expect(readdirSync(join(md, 'new'))).toEqual([names[2]]);
  });
});
