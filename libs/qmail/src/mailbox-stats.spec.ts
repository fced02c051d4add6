import { MboxStatsCounter, maildirNameSize, maildirNameTime, parseMaildirsize } from './mailbox-stats';

/** The plain reading: split into lines, a message per `From ` line, headers up to a blank line. */
function reference(text: string) {
  let messages = 0;
  let unread = 0;
  let inHeaders = false;
  let read = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('From ')) {
      if (inHeaders && !read) unread++;
      messages++;
      inHeaders = true;
      read = false;
    } else if (inHeaders) {
      if (line === '' || line === '\r') {
        inHeaders = false;
        if (!read) unread++;
      } else if (/^status:.*R/i.test(line)) read = true;
    }
  }
  if (inHeaders && !read) unread++;
  return { messages, unread };
}

function countIn(text: string, chunk: number) {
  const c = new MboxStatsCounter();
  const buf = Buffer.from(text, 'latin1');
  for (let i = 0; i < buf.length; i += chunk) c.feed(buf.subarray(i, i + chunk));
  return c.end();
}

const msg = (n: number, status: string | null, body: string) =>
  `From sender${n}@example.com Thu Nov ${String(10 + (n % 9)).padStart(2)} 10:0${n % 10}:00 2026\nReturn-Path: <x@y>\nSubject: m${n}\n${status ? `Status: ${status}\n` : ''}\n${body}\n\n`;

describe('MboxStatsCounter', () => {
  const text =
    msg(1, 'RO', 'hello\n>From quoted\nFrom-ish line\n') +
    msg(2, null, 'x'.repeat(70_000) + '\nmore') +
    msg(3, 'O', 'short') +
    msg(4, 'R', '') +
    'From MAILER-DAEMON Fri Nov 20 09:00:00 2026\nSubject: bounce\nstatus: RO\n\nbody\n';

  it.each([1, 2, 3, 5, 7, 64, 1000, 65536, 1 << 20])('counts as the plain reading does, in chunks of %d bytes', (size) => {
    const got = countIn(text, size);
    const want = reference(text);
    expect({ messages: got.messages, unread: got.unread }).toEqual(want);
    expect(want).toEqual({ messages: 5, unread: 2 });
    expect(new Date(got.newest!).toISOString()).toBe('2026-11-20T09:00:00.000Z');
    expect(new Date(got.oldest!).toISOString()).toBe('2026-11-11T10:01:00.000Z');
  });

  it('counts a last message with no blank line after its headers, and an empty file as nothing', () => {
    expect(countIn('From a Thu Nov 12 10:00:00 2026\nSubject: x', 4).messages).toBe(1);
    expect(countIn('', 4)).toEqual({ messages: 0, unread: 0, newest: null, oldest: null });
  });
});

describe('Maildir names and maildirsize', () => {
  it('takes the size and time from the name where they are', () => {
    expect(maildirNameSize('1700000000.M1P2.host,S=1234:2,S')).toBe(1234);
    expect(maildirNameSize('1700000000.M1P2.host,S=1234,W=1300:2,S')).toBe(1234);
    expect(maildirNameSize('1700000000.123.host')).toBeNull();
    expect(maildirNameTime('1700000000.123.host')).toBe(1_700_000_000_000);
    expect(maildirNameTime('host.123')).toBeNull();
  });
  it('sums maildirsize', () => {
    expect(parseMaildirsize('1000000S,500C\n  1200 2\n300 1\n-200 -1\n')).toEqual({ quotaBytes: 1_000_000, quotaMessages: 500, usedBytes: 1300, usedMessages: 2 });
    expect(parseMaildirsize('5000S\n10 1\n')).toEqual({ quotaBytes: 5000, quotaMessages: null, usedBytes: 10, usedMessages: 1 });
    expect(parseMaildirsize('')).toBeNull();
  });
});
