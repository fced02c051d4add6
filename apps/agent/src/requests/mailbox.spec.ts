import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
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

/** Homes belong to their users, as on a real host: the agent reads only files of the mailbox's uid. */
const UIDS: Record<string, number> = { joe: 1001, ann: 1002, sam: 2001, qmaild: 64 };
function giveHomes(): void {
  for (const [user, uid] of Object.entries(UIDS)) if (existsSync(homes(user))) execFileSync('chown', ['-R', `${uid}:${uid}`, homes(user)]);
}
beforeEach(giveHomes);

/** A root-only file (0600, uid 0) that no mailbox request may ever show or change. */
async function rootSecret(content = 'root:SECRET-HASH:19000:0:99999:7:::\n'): Promise<string> {
  const path = join(root.dir, 'shadow');
  await writeFile(path, content);
  await chmod(path, 0o600);
  return path;
}

describe('mailbox.users', () => {
  it('lists the mailboxes that exist (not every account), each with its format, size and count', async () => {
    const { users } = await mailboxUsers(testContext(root.dir));
    // ann, qmaild and sam have no Maildir or mbox yet; root and daemon never get mail.
    expect(users.map((u) => u.id)).toEqual(['joe']);
    const joe = users[0]!;
    expect(joe).toMatchObject({ id: 'joe', user: 'joe', home: homes('joe'), path: join(homes('joe'), 'Maildir'), format: 'maildir', source: 'home', exists: true, count: 3 });
    expect(joe.size).toBeGreaterThan(300_000);
  });

  it('lists an mbox user beside a Maildir user, and a users/assign home, whatever --mailbox says', async () => {
    await mkdir(homes('ann'), { recursive: true });
    await writeFile(join(homes('ann'), 'Mailbox'), threeMessages());
    await deliver(join(homes('sam'), 'Maildir'), '1700000005.1.mx', plainMessage({ from: 'x@example.com', to: 'sales-eu@example.com', subject: 'Order' }), new Date('2024-03-05T10:00:00Z'));
    giveHomes();
    const { users } = await mailboxUsers(testContext(root.dir));
    expect(users.map((u) => [u.id, u.format, u.source, u.count])).toEqual([
      ['ann', 'mbox', 'home', 3],
      ['joe', 'maildir', 'home', 3],
      ['sam', 'maildir', 'assign', 1],
    ]);
    expect((await listMailbox(testContext(root.dir), { user: 'ann', page: 1, perPage: 20 })).messages.map((m) => m.subject)).toEqual(['Third', 'Second', 'First']);
  });
});

describe("the alias user's deliveries", () => {
  it('lists, reads and deletes in a Maildir named by ~alias/.qmail-sales, files of the alias uid only', async () => {
    const alias = join(root.dir, 'alias');
    await deliver(join(alias, 'Maildirs/sales'), '1700000007.1.mx', plainMessage({ from: 'buyer@example.org', to: 'sales@example.com', subject: 'Quote' }), new Date('2024-03-07T10:00:00Z'));
    await writeFile(join(alias, '.qmail-sales'), './Maildirs/sales/\n');
    execFileSync('chown', ['-R', '7790:7790', alias]);
    const ctx = testContext(root.dir);
    const sales = (await mailboxUsers(ctx)).users.find((u) => u.id === 'alias+sales');
    expect(sales).toMatchObject({ user: 'alias', source: 'alias', dotQmail: '.qmail-sales', format: 'maildir', count: 1 });
    expect((await listMailbox(ctx, { user: 'alias+sales', page: 1, perPage: 20, q: 'quote' })).messages.map((m) => m.from)).toEqual(['buyer@example.org']);
    expect(await deleteMailboxMessages(ctx, { user: 'alias+sales', ids: ['1700000007.1.mx'] })).toEqual({ deleted: ['1700000007.1.mx'], missing: [] });
  });
});

describe('the simple search (q)', () => {
  const ctx = () => testContext(root.dir);

  it('finds the text in From, Subject or To, case-insensitively', async () => {
    expect((await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20, q: 'invoice' })).messages.map((m) => m.subject)).toEqual(['Invoice 43', 'Invoice 42']);
    expect((await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20, q: 'CAROL@' })).messages.map((m) => m.subject)).toEqual(['Invoice 43']);
    expect((await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20, q: 'attached' })).total).toBe(0);
  });

  it('refuses q and search together', async () => {
    const answer = await answerRequest(ctx(), AgentRequest.mailboxList, { user: 'joe', q: 'x', search: { criteria: [{ field: 'subject', op: 'contains', value: 'x' }] } });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringContaining('q:') } });
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

const threeMessages = () =>
  Buffer.concat([
    formatMboxEntry('alice@example.com', new Date('2024-03-01T10:00:00Z'), plainMessage({ from: 'alice@example.com', to: 'ann@example.com', subject: 'First', body: 'From here on.\n' })),
    formatMboxEntry('bob@example.com', new Date('2024-03-02T10:00:00Z'), plainMessage({ from: 'bob@example.com', to: 'ann@example.com', subject: 'Second' })),
    formatMboxEntry('carol@example.com', new Date('2024-03-03T10:00:00Z'), plainMessage({ from: 'carol@example.com', to: 'ann@example.com', subject: 'Third' })),
  ]);

describe('mbox mailboxes', () => {
  const ctx = () => testContext(root.dir, { mailbox: { format: 'mbox' } });
  let mbox: string;

  beforeEach(async () => {
    mbox = join(homes('ann'), 'Mailbox');
    await mkdir(homes('ann'), { recursive: true });
    await writeFile(mbox, threeMessages());
    giveHomes();
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
    expect((await readdir(homes('ann'))).filter((n) => n.includes('.qfleet-del'))).toEqual([]);
  });

  it('answers not_found for a user with no mailbox at all', async () => {
    expect(await answerRequest(ctx(), AgentRequest.mailboxList, { user: 'qmaild' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await answerRequest(ctx(), AgentRequest.mailboxDelete, { user: 'qmaild', ids: ['x'] })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('a mailbox owner planting links (issue 10: the agent runs as root)', () => {
  const ctx = () => testContext(root.dir);
  const mboxCtx = () => testContext(root.dir, { mailbox: { format: 'mbox' } });
  const raw = (user: string, id: string) => answerRequest(ctx(), AgentRequest.mailboxChunk, { user, id, part: 'raw', offset: 0, length: 65_536 });

  it('never serves a root-only file through a symlink in Maildir/new', async () => {
    const secret = await rootSecret();
    await symlink(secret, join(homes('joe'), 'Maildir/new/1700000009.1.mx'));

    const answer = await raw('joe', '1700000009.1.mx');
    expect(answer).toMatchObject({ ok: false, error: { code: 'failed', message: `${join(homes('joe'), 'Maildir/new/1700000009.1.mx')}: is a symbolic link; refused` } });
    expect(JSON.stringify(answer)).not.toContain('SECRET');
    const list = await listMailbox(ctx(), { user: 'joe', page: 1, perPage: 20 });
    expect(list.messages.map((m) => m.id)).not.toContain('1700000009.1.mx');
  });

  it('never serves a hard link to a file of another uid', async () => {
    const secret = await rootSecret();
    await link(secret, join(homes('joe'), 'Maildir/new/1700000009.1.mx'));

    const answer = await answerRequest(ctx(), AgentRequest.mailboxRead, { user: 'joe', id: '1700000009.1.mx' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(!answer.ok && answer.error.message).toContain('belongs to uid 0, not 1001; refused');
    expect(JSON.stringify(answer)).not.toContain('SECRET');
  });

  it('refuses a Maildir that is a symlink out of the home', async () => {
    const elsewhere = join(root.dir, 'elsewhere');
    await mkdir(elsewhere);
    await rm(join(homes('joe'), 'Maildir'), { recursive: true });
    await symlink(elsewhere, join(homes('joe'), 'Maildir'));

    const answer = await answerRequest(ctx(), AgentRequest.mailboxList, { user: 'joe' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(!answer.ok && answer.error.message).toContain(`${join(homes('joe'), 'Maildir')}: leads outside the home`);
  });

  it('refuses to delete from an mbox that is a link, and leaves its target as it was', async () => {
    const target = join(root.dir, 'root-mbox');
    await writeFile(target, threeMessages());
    await chmod(target, 0o600);
    await mkdir(homes('ann'), { recursive: true });
    await symlink(target, join(homes('ann'), 'Mailbox'));
    giveHomes();
    const [, second] = await listMbox(target);
    const bytes = await readFile(target);

    const answer = await answerRequest(mboxCtx(), AgentRequest.mailboxDelete, { user: 'ann', ids: [second.id] });
    expect(answer).toMatchObject({ ok: false, error: { code: 'failed', message: `${join(homes('ann'), 'Mailbox')}: is a symbolic link; refused` } });
    expect((await readFile(target)).equals(bytes)).toBe(true);
  });

  it('neither lists nor serves a home of uid 0 or a home that is not normalized', async () => {
    const rootHome = join(root.dir, 'roothome');
    await deliver(join(rootHome, 'Maildir'), '1700000010.1.mx', plainMessage({ from: 'a@example.com', to: 'b@example.com', subject: 'root mail' }), new Date());
    await writeFile(
      join(root.dir, 'users/assign'),
      `=boss:boss:0:0:${rootHome}:::\n=dotty:dotty:3000:3000:${homes('joe')}/../../roothome:::\n.\n`,
    );

    expect((await mailboxUsers(ctx())).users.map((u) => u.user)).toEqual(['joe']);
    const boss = await answerRequest(ctx(), AgentRequest.mailboxList, { user: 'boss' });
    expect(boss).toMatchObject({ ok: false, error: { code: 'invalid', message: 'user: boss has uid 0: qmail never delivers as root, so its home is not served' } });
    const dotty = await answerRequest(ctx(), AgentRequest.mailboxChunk, { user: 'dotty', id: '1700000010.1.mx', part: 'raw', offset: 0, length: 100 });
    expect(dotty).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!dotty.ok && dotty.error.message).toContain('not a normalized absolute path');
  });
});
