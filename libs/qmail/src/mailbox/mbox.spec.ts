import { MboxScanner, asctime, formatMboxEntry, isQuotedFrom, parseFromLine, scanMbox, unquoteMboxrd } from './mbox';

const when = new Date(Date.UTC(2024, 0, 5, 9, 3, 7));
const msg = (n: number, extra = '') => `Return-Path: <s${n}@example.com>\nSubject: m${n}\n\nbody ${n}\n${extra}`;
const mbox = (...entries: Buffer[]) => Buffer.concat(entries);

describe('mbox (mboxrd as qmail-local writes it, QMAIL.md §6)', () => {
  it('writes the From_ line in qmail myctime() form, MAILER-DAEMON for the empty sender', () => {
    expect(asctime(when)).toBe('Fri Jan  5 09:03:07 2024');
    expect(formatMboxEntry('', when, 'x\n').toString()).toBe('From MAILER-DAEMON Fri Jan  5 09:03:07 2024\nx\n\n');
    expect(parseFromLine('From MAILER-DAEMON Fri Jan  5 09:03:07 2024')).toEqual({ sender: 'MAILER-DAEMON', date: when });
  });

  it('quotes ^>*From lines with one more > and undoes exactly one level', () => {
    const entry = formatMboxEntry('a@b', when, 'Subject: q\n\nFrom here\n>From there\nFromage\n');
    expect(entry.toString()).toContain('\n>From here\n>>From there\nFromage\n');
    expect(isQuotedFrom(Buffer.from('>>From x'))).toBe(true);
    expect(isQuotedFrom(Buffer.from('From x'))).toBe(false);
    expect(unquoteMboxrd(Buffer.from('>From a\n>>From b\nc\n')).toString()).toBe('From a\n>From b\nc\n');
  });

  it('splits at From_ lines that start the file or follow a blank line, and only there', () => {
    const file = Buffer.from('From a@b Fri Jan  5 09:03:07 2024\nSubject: 1\n\nline\nFrom not a separator\n\nFrom c@d Fri Jan  5 09:03:08 2024\nSubject: 2\n\nx\n\n');
    const list = scanMbox(file);
    expect(list.map((m) => m.sender)).toEqual(['a@b', 'c@d']);
    expect(list[0].offset).toBe(0);
    expect(list[1].offset).toBe(file.indexOf('From c@d'));
    expect(list[0].length + list[1].length).toBe(file.length);
  });

  it('gives each message its size without From_ line and added blank line, and its unquoted bytes', () => {
    const body = msg(1, 'From the start\n');
    const [m] = scanMbox(formatMboxEntry('s@x', when, body), { collect: true });
    expect(m.raw?.toString()).toBe(body);
    expect(m.size).toBe(Buffer.byteLength(body));
  });

  it('keeps ids when other messages are deleted or appended, and numbers byte-identical copies', () => {
    const [a, b, c] = [1, 2, 3].map((n) => formatMboxEntry(`s${n}@x`, when, msg(n)));
    const ids = scanMbox(mbox(a, b, c)).map((m) => m.id);
    expect(scanMbox(mbox(a, c)).map((m) => m.id)).toEqual([ids[0], ids[2]]);
    expect(scanMbox(mbox(a, b, c, a)).map((m) => m.id)).toEqual([...ids, `${ids[0]}-2`]);
  });

  it('gives the same result whatever the chunk size', () => {
    const file = mbox(...[1, 2, 3].map((n) => formatMboxEntry(`s${n}@x`, when, msg(n, '>From x\n'))));
    const out: unknown[] = [];
    const scanner = new MboxScanner((m) => out.push(m), { collect: true });
    for (const byte of file) scanner.feed(Buffer.from([byte]));
    scanner.end();
    expect(out).toEqual(scanMbox(file, { collect: true }));
  });

  it('keeps bytes before the first From_ line out of the messages', () => {
    const list = scanMbox(Buffer.from('junk\n\nFrom a@b Fri Jan  5 09:03:07 2024\nx\n\n'));
    expect(list).toHaveLength(1);
    expect(list[0].offset).toBe(6);
  });
});
