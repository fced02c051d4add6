import { appendFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MailboxScanTarget } from '@qfleet/protocol';
import { MailboxStatsScanner } from './scanner';
import { summarize } from './reporter';

/**
 * The scanner's cache on real directories: what changed is read again, what did not is not
 * (counted in readdir calls and mbox bytes read).
 */
let root: string;
const past = new Date(Date.now() - 3600_000);
const maildir = () => join(root, 'alice', 'Maildir');
const mbox = () => join(root, 'bob', 'Mailbox');
const locations = (): MailboxScanTarget[] => [
  { user: 'alice', path: maildir(), format: 'maildir' },
  { user: 'bob', path: mbox(), format: 'mbox' },
  { user: 'carol', path: join(root, 'carol', 'Maildir'), format: 'maildir' },
];
const entry = (n: number, status = '') => `From x@example.com Thu Nov 12 10:00:0${n} 2026\nSubject: ${n}\n${status}\nbody ${n}\n\n`;

/** Directories set back an hour, as if nothing had been delivered lately. */
async function settle(...dirs: string[]) {
  for (const d of dirs) await utimes(d, past, past);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'qfleet-mailstats-'));
  for (const d of ['new', 'cur', 'tmp', '.Sent/cur', '.Sent/new']) await mkdir(join(maildir(), d), { recursive: true });
  await writeFile(join(maildir(), 'new', '1763000000.1.host'), 'Subject: a\n\nhello\n');
  await writeFile(join(maildir(), 'new', '1763000100.M1P2.host,S=3000'), 'x'.repeat(3000));
  await writeFile(join(maildir(), 'cur', '1763000200.3.host:2,S'), 'Subject: c\n\nread\n');
  await writeFile(join(maildir(), '.Sent', 'cur', '1763000300.4.host:2,S'), 'Subject: d\n\nsent\n');
  await writeFile(join(maildir(), 'maildirsize'), '10000S,100C\n3000 1\n56 3\n');
  await mkdir(join(root, 'bob'));
  await writeFile(mbox(), entry(1, 'Status: RO\n') + entry(2));
  await settle(join(maildir(), 'new'), join(maildir(), 'cur'), join(maildir(), '.Sent', 'cur'), join(maildir(), '.Sent', 'new'), maildir());
  await utimes(mbox(), past, past);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('MailboxStatsScanner', () => {
  it('reads every directory once, then only what changed', async () => {
    const scanner = new MailboxStatsScanner();
    const first = await scanner.scan(locations());
    // the Maildir itself, new/ and cur/ of the Maildir and of .Sent
    expect(first.counters.dirReads).toBe(5);
    const alice = first.mailboxes.find((m) => m.user === 'alice')!;
    expect(alice).toMatchObject({ messages: 4, unread: 2, bytes: 18 + 3000 + 17 + 17, quotaBytes: 10000, quotaMessages: 100, quotaUsedBytes: 3056, quotaUsedMessages: 4 });
    expect(alice.newestAt).toBe(new Date(1763000300_000).toISOString());
    expect(alice.oldestAt).toBe(new Date(1763000000_000).toISOString());
    expect(first.mailboxes.find((m) => m.user === 'bob')).toMatchObject({ messages: 2, unread: 1, format: 'mbox' });
    expect(first.mailboxes.map((m) => m.user)).toEqual(['alice', 'bob']); // carol has no Maildir yet

    const second = await scanner.scan(locations());
    expect(second.counters).toEqual({ dirReads: 0, dirHits: 5, fileStats: 0, mboxBytesRead: 0, mboxAppends: 0 });
    expect(second.mailboxes).toEqual(first.mailboxes);

    // A delivery to new/: that directory alone is read again.
    await writeFile(join(maildir(), 'new', '1763000400.5.host'), 'Subject: e\n\nnew\n');
    const third = await scanner.scan(locations());
    expect(third.counters.dirReads).toBe(1);
    expect(third.mailboxes.find((m) => m.user === 'alice')).toMatchObject({ messages: 5, unread: 3 });

    // new/ changed moments ago: another change within the same mtime could follow, so it is read again.
    const fourth = await scanner.scan(locations());
    expect(fourth.counters.dirReads).toBe(1);
    await settle(join(maildir(), 'new'));
    await scanner.scan(locations());
    const sixth = await scanner.scan(locations());
    expect(sixth.counters.dirReads).toBe(0);
  });

  it('reads only the appended tail of a grown mbox, and all of a rewritten one', async () => {
    const scanner = new MailboxStatsScanner();
    const first = await scanner.scan(locations());
    const size = first.counters.mboxBytesRead;
    const more = entry(3);
    await appendFile(mbox(), more);
    const grown = await scanner.scan(locations());
    expect(grown.counters).toMatchObject({ mboxAppends: 1, mboxBytesRead: more.length, dirReads: 0 });
    expect(grown.mailboxes.find((m) => m.user === 'bob')).toMatchObject({ messages: 3, unread: 2, bytes: size + more.length });

    await writeFile(mbox(), entry(4, 'Status: R\n')); // a reader rewrote it
    const rewritten = await scanner.scan(locations());
    expect(rewritten.counters).toMatchObject({ mboxAppends: 0, mboxBytesRead: entry(4, 'Status: R\n').length });
    expect(rewritten.mailboxes.find((m) => m.user === 'bob')).toMatchObject({ messages: 1, unread: 0 });
  });

  it('forgets mailboxes that are gone', async () => {
    const scanner = new MailboxStatsScanner();
    await scanner.scan(locations());
    const before = scanner.cached;
    await scanner.scan(locations().slice(1));
    expect(scanner.cached).toBeLessThan(before);
  });

  it('summarizes: totals, the largest first, the fullest quota, everything when asked', async () => {
    const scan = await new MailboxStatsScanner().scan(locations());
    const s = summarize(scan, new Date('2026-11-27T08:00:00Z'), true);
    expect(s).toMatchObject({ mailboxes: 2, messages: 6, withQuota: 1, skipped: 0 });
    expect(s.largest.map((m) => m.user)).toEqual(['alice', 'bob']);
    expect(s.fullest.map((m) => m.user)).toEqual(['alice']);
    expect(s.all).toHaveLength(2);
    expect(summarize(scan, new Date(), false).all).toBeUndefined();
  });
});
