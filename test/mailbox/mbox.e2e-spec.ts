import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InterruptedMboxDelete,
  MailboxLocked,
  MessageNotFound,
  deleteMboxMessages,
  listMbox,
  mboxMessages,
  mboxStats,
  readMboxMessage,
} from '@qfleet/qmail';
import { appendToMbox, exited, mboxEntry, message, startShell, tempDir } from './mailboxes';

const at = (minute: number) => new Date(Date.UTC(2024, 0, 2, 10, minute));
const mail = (n: number) =>
  message({ from: `s${n}@example.com`, to: 'u@example.org', subject: `m${n}`, body: `body ${n}\nFrom the desk of ${n}\n>From quoted\n` });

describe('mbox reading and deleting (QMAIL.md §6, §7)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;

  beforeEach(() => {
    tmp = tempDir('mbox');
    file = join(tmp.dir, 'Mailbox');
    for (const n of [1, 2, 3, 4]) appendToMbox(file, `s${n}@example.com`, mail(n), at(n));
    appendToMbox(file, '', 'Subject: bounce\n\nno newline at end', at(5));
  });
  afterEach(() => tmp.remove());

  it('lists messages newest first with offset, length, size, From_ sender and date', async () => {
    const list = await listMbox(file);
    expect(list.map((m) => m.sender)).toEqual(['MAILER-DAEMON', 's4@example.com', 's3@example.com', 's2@example.com', 's1@example.com']);
    expect(list[4]).toMatchObject({ offset: 0, length: Buffer.byteLength(mboxEntry('s1@example.com', mail(1), at(1))), size: Buffer.byteLength(mail(1)), date: at(1) });
    expect(list[3].offset).toBe(list[4].length);
    expect(list[0].size).toBe(Buffer.byteLength('Subject: bounce\n\nno newline at end\n'));
    expect(new Set(list.map((m) => m.id)).size).toBe(5);
  });

  it('reports size as the file size and count as the From_ separator lines', async () => {
    expect(await mboxStats(file)).toEqual({ size: statSync(file).size, count: 5 });
  });

  it('reads one message with the mboxrd quoting undone one level', async () => {
    const [, fourth] = await listMbox(file);
    expect((await readMboxMessage(file, fourth.id)).toString()).toBe(mail(4));
    expect(readFileSync(file, 'utf8')).toContain('\n>From the desk of 4\n>>From quoted\n');
    await expect(readMboxMessage(file, 'f'.repeat(20))).rejects.toThrow(MessageNotFound);
  });

  it('streams every message with its bytes, in file order', async () => {
    const seen: string[] = [];
    for await (const { message: m, raw } of mboxMessages(file)) seen.push(`${m.sender}:${raw.length === m.size}`);
    expect(seen).toEqual(['s1@example.com:true', 's2@example.com:true', 's3@example.com:true', 's4@example.com:true', 'MAILER-DAEMON:true']);
  });

  it('deletes first, middle and last messages in place, keeping the others byte for byte and the inode', async () => {
    const before = statSync(file);
    const list = await listMbox(file);
    const byNumber = new Map(list.map((m) => [m.sender, m]));
    const drop = [byNumber.get('s1@example.com'), byNumber.get('s3@example.com'), byNumber.get('MAILER-DAEMON')].map((m) => m?.id as string);
    const result = await deleteMboxMessages(file, [...drop, 'f'.repeat(20)]);
    expect(result).toEqual({ deleted: drop, missing: ['f'.repeat(20)] });
    expect(readFileSync(file, 'utf8')).toBe(
      mboxEntry('s2@example.com', mail(2), at(2)) + mboxEntry('s4@example.com', mail(4), at(4)),
    );
    const after = statSync(file);
    expect([after.ino, after.mode, after.uid]).toEqual([before.ino, before.mode, before.uid]);
    // The kept messages keep their ids; no temporary file is left behind.
    expect((await listMbox(file)).map((m) => m.id)).toEqual([byNumber.get('s4@example.com')?.id, byNumber.get('s2@example.com')?.id]);
    expect(readdirSync(tmp.dir)).toEqual(['Mailbox']);
  });

  it('deleting every message leaves an empty mbox', async () => {
    await deleteMboxMessages(file, (await listMbox(file)).map((m) => m.id));
    expect(statSync(file).size).toBe(0);
    expect(await mboxStats(file)).toEqual({ size: 0, count: 0 });
  });

  it('waits for the lock qmail-local takes and gives up with MailboxLocked', async () => {
    const holder = await startShell('exec 3>>"$MBOX"; flock -x 3; echo ready; exec sleep 30', { MBOX: file });
    try {
      const before = readFileSync(file);
      const [first] = await listMbox(file);
      await expect(deleteMboxMessages(file, [first.id], { lockTimeoutSeconds: 1 })).rejects.toThrow(MailboxLocked);
      expect(readFileSync(file)).toEqual(before);
    } finally {
      holder.kill();
      await exited(holder);
    }
  });

  it('keeps a delivery whose writer opened the mbox before the delete and wrote after it', async () => {
    // qmail-local's mailfile(): open O_APPEND first, then flock, then write (QMAIL.md §6).
    writeFileSync(join(tmp.dir, 'late'), mboxEntry('late@example.com', mail(99), at(9)));
    const writer = await startShell('exec 3>>"$MBOX"; echo ready; read go; flock -x 3; cat "$LATE" >&3', {
      MBOX: file,
      LATE: join(tmp.dir, 'late'),
    });
    const list = await listMbox(file);
    await deleteMboxMessages(file, list.slice(0, 3).map((m) => m.id));
    writer.stdin?.end('go\n');
    expect(await exited(writer)).toBe(0);
    const after = await listMbox(file);
    expect(after.map((m) => m.sender)).toEqual(['late@example.com', 's2@example.com', 's1@example.com']);
    expect((await readMboxMessage(file, after[0].id)).toString()).toBe(mail(99));
  });

  it('refuses to delete after an interrupted delete left its copy behind', async () => {
    writeFileSync(`${file}.qfleet-del.0.100`, 'tail');
    const [first] = await listMbox(file);
    await expect(deleteMboxMessages(file, [first.id])).rejects.toThrow(InterruptedMboxDelete);
  });
});
