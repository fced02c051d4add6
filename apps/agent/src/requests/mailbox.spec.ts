import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentRequest } from '@qfleet/protocol';
import { formatMboxEntry, listMbox } from '@qfleet/qmail';
import { answerRequest } from './register';
import { deleteMailboxMessages, listMailbox, mailboxChunk, mailboxUsers, readMailboxMessage } from './mailbox';
import { messageWithAttachment, plainMessage, tempDir, testContext } from './test-support/messages';

let root: { dir: string; cleanup: () => Promise<void> };
const homes = (user: string) => join(root.dir, 'home', user);
const attachment = randomBytes(300_000);

/** A Maildir delivery as qmail-local leaves it: new/<time>.<pid>.<host>, mtime the delivery time (QMAIL.md §6). */
async function deliver(maildir: string, name: string, content: string, at: Date, sub: 'new' | 'cur' = 'new') {
  for (const d of ['tmp', 'new', 'cur']) await mkdir(join(maildir, d), { recursive: true });
  await writeFile(join(maildir, sub, name), content);
  await utimes(join(maildir, sub, name), at, at);
}

beforeEach(async () => {
  root = await tempDir('qfleet-mbox-');
  await mkdir(join(root.dir, 'users'));
  await writeFile(
    join(root.dir, 'passwd'),
    [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      `joe:x:1001:1001:Joe:${homes('joe')}:/bin/sh`,
      `ann:x:1002:1002:Ann:${homes('ann')}:/bin/sh`,
      `qmaild:x:64:65:qmail:${homes('qmaild')}:/bin/false`,
      '',
    ].join('\n'),
  );
  // sam is only in users/assign (a virtual user); qmaild is listed there though its uid is a system one.
  await writeFile(
    join(root.dir, 'users/assign'),
    `=sam:sam:2001:2001:${homes('sam')}:::\n+sales-:sam:2001:2001:${homes('sam')}:-::\n=qmaild:qmaild:64:65:${homes('qmaild')}:::\n.\n`,
  );
  const joe = join(homes('joe'), 'Maildir');
  await deliver(joe, '1700000001.1.mx', plainMessage({ from: 'alice@example.com', to: 'joe@example.com', subject: 'Lunch?' }), new Date('2024-03-01T10:00:00Z'));
  await deliver(joe, '1700000002.1.mx:2,RS', plainMessage({ from: 'bob@example.com', to: 'joe@example.com', subject: 'Invoice 42' }), new Date('2024-03-02T10:00:00Z'), 'cur');
  await deliver(
    joe,
    '1700000003.1.mx',
    messageWithAttachment({ from: 'carol@example.com', to: 'joe@example.com', subject: 'Invoice 43', text: 'Attached.', filename: 'inv.pdf', content: attachment }),
    new Date('2024-03-03T10:00:00Z'),
  );
});
afterEach(() => root.cleanup());

describe('mailbox.users', () => {
  it('lists passwd users from uid 100 and users/assign homes, once each, with size and count', async () => {
    const { users } = await mailboxUsers(testContext(root.dir));
    expect(users.map((u) => u.user)).toEqual(['ann', 'joe', 'qmaild', 'sam']);
    const joe = users.find((u) => u.user === 'joe')!;
    expect(joe).toMatchObject({ home: homes('joe'), format: 'maildir', exists: true, count: 3 });
    expect(joe.size).toBeGreaterThan(300_000);
    expect(users.find((u) => u.user === 'ann')).toEqual({ user: 'ann', home: homes('ann'), format: 'maildir', exists: false, size: 0, count: 0 });
    expect(users.find((u) => u.user === 'sam')).toMatchObject({ home: homes('sam'), exists: false });
  });
});

describe('mailbox.list and read (Maildir)', () => {
  const ctx = () => testContext(root.dir);

  it('lists newest first with from, subject, date and flags, one page at a time', async () => {
    const r = await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 2 });
    expect(r).toMatchObject({ total: 3, page: 1, perPage: 2 });
    expect(r.messages.map((m) => [m.id, m.subject, m.flags])).toEqual([
      ['1700000003.1.mx', 'Invoice 43', ''],
      ['1700000002.1.mx', 'Invoice 42', 'RS'],
    ]);
    expect(r.messages[1]).toMatchObject({ from: 'bob@example.com', to: 'joe@example.com', date: '2024-03-14T09:12:44.000Z' });
    expect((await listMailbox(ctx(), { user: 'joe', page: 2, perPage: 2 })).messages.map((m) => m.subject)).toEqual(['Lunch?']);
  });

  it('applies a search, and never moves new/ to cur/', async () => {
    const search = { criteria: [{ field: 'subject', op: 'contains', value: 'INVOICE' }, { field: 'from', op: 'notContains', value: 'bob' }], join: 'and' };
    const r = await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20, search });
    expect(r.messages.map((m) => m.subject)).toEqual(['Invoice 43']);
    expect(await readdir(join(homes('joe'), 'Maildir/new'))).toHaveLength(2);
  });

  it('answers invalid for a bad search, naming the field', async () => {
    const answer = await answerRequest(ctx(), AgentRequest.mailboxList, { user: 'joe', search: { criteria: [{ field: 'size', op: 'contains', value: 'x' }] } });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!answer.ok && answer.error.message).toContain('search.criteria');
  });

  it('answers not_found for an unknown user and an unknown message', async () => {
    expect(await answerRequest(ctx(), AgentRequest.mailboxList, { user: 'nobody' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await answerRequest(ctx(), AgentRequest.mailboxRead, { user: 'joe', id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('reads a message and reassembles its attachment from chunks', async () => {
    const r = await readMailboxMessage(ctx(), { user: 'joe', id: '1700000003.1.mx' });
    expect(r.parsed).toMatchObject({ subject: 'Invoice 43', text: 'Attached.', attachments: [{ index: 0, filename: 'inv.pdf', size: attachment.length }] });
    const parts: Buffer[] = [];
    for (let offset = 0; ; ) {
      const c = await mailboxChunk(ctx(), { user: 'joe', id: '1700000003.1.mx', part: 0, offset, length: 65_536 });
      const data = Buffer.from(c.data, 'base64');
      parts.push(data);
      offset += data.length;
      if (c.eof) break;
    }
    expect(Buffer.concat(parts).equals(attachment)).toBe(true);
  });

  it('deletes Maildir messages by id, reporting the ids it did not find', async () => {
    const r = await deleteMailboxMessages(ctx(), { user: 'joe', ids: ['1700000002.1.mx', 'gone'] });
    expect(r).toEqual({ deleted: ['1700000002.1.mx'], missing: ['gone'] });
    expect(await readdir(join(homes('joe'), 'Maildir/cur'))).toEqual([]);
    expect((await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20 })).total).toBe(2);
  });
});

describe('mbox mailboxes', () => {
  const ctx = () => testContext(root.dir, { mailbox: { format: 'mbox' } });
  let mbox: string;

  beforeEach(async () => {
    mbox = join(homes('ann'), 'Mailbox');
    await mkdir(homes('ann'), { recursive: true });
    await writeFile(
      mbox,
      Buffer.concat([
        formatMboxEntry('alice@example.com', new Date('2024-03-01T10:00:00Z'), plainMessage({ from: 'alice@example.com', to: 'ann@example.com', subject: 'First', body: 'From here on.\n' })),
        formatMboxEntry('bob@example.com', new Date('2024-03-02T10:00:00Z'), plainMessage({ from: 'bob@example.com', to: 'ann@example.com', subject: 'Second' })),
        formatMboxEntry('carol@example.com', new Date('2024-03-03T10:00:00Z'), plainMessage({ from: 'carol@example.com', to: 'ann@example.com', subject: 'Third' })),
      ]),
    );
  });

  it('counts and lists newest first, and searches the body', async () => {
    expect((await mailboxUsers(ctx())).users.find((u) => u.user === 'ann')).toMatchObject({ format: 'mbox', exists: true, count: 3 });
    expect((await listMailbox(ctx(), { user: 'ann', page: 1, perPage: 2 })).messages.map((m) => m.subject)).toEqual(['Third', 'Second']);
    const found = await listMailbox(ctx(), { user: 'ann', page: 1, perPage: 20, search: { criteria: [{ field: 'body', op: 'contains', value: 'from HERE' }] } });
    expect(found.messages.map((m) => m.subject)).toEqual(['First']);
  });

  it('reads a message unquoted, without its From_ line', async () => {
    const [, , first] = await listMbox(mbox);
    const r = await readMailboxMessage(ctx(), { user: 'ann', id: first.id });
    expect(r.parsed.text).toBe('From here on.\n');
  });

  it('deletes under the flock and keeps the others', async () => {
    const [third, second] = await listMbox(mbox);
    expect(await deleteMailboxMessages(ctx(), { user: 'ann', ids: [second.id, 'feedbeef'] })).toEqual({ deleted: [second.id], missing: ['feedbeef'] });
    expect((await listMailbox(ctx(), { user: 'ann', page: 1, perPage: 20 })).messages.map((m) => [m.id, m.subject])).toEqual([
      [third.id, 'Third'],
      [expect.any(String), 'First'],
    ]);
    expect(existsSync(`${mbox}.qfleet-del.tmp`)).toBe(false);
  });

  it('treats a user without an mbox as an empty mailbox', async () => {
    expect(await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20 })).toEqual({ total: 0, page: 1, perPage: 20, messages: [] });
    expect(await deleteMailboxMessages(ctx(), { user: 'joe', ids: ['x'] })).toEqual({ deleted: [], missing: ['x'] });
  });
});
