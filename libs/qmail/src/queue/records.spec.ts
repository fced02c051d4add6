import { parseId, parseInfo, parseRecipients, splitPath } from './records';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('parseInfo', () => {
  it('returns the sender of the F record, without the F and the NUL', () => {
    expect(parseInfo(b('Falice@example.com\0'))).toBe('alice@example.com');
  });
  it('returns "" for a bounce, whose sender is <>', () => {
    expect(parseInfo(b('F\0'))).toBe('');
  });
  it('keeps bytes as latin1 characters so that they can be printed byte by byte', () => {
    expect(parseInfo(Buffer.from([0x46, 0xc3, 0xa9, 0x40, 0x78, 0]))).toBe('\u00c3\u00a9@x');
  });
  it('is undefined while qmail-send has not finished writing the F record', () => {
    expect(parseInfo(b(''))).toBeUndefined();
    expect(parseInfo(b('Falice@exam'))).toBeUndefined();
  });
});

describe('parseRecipients', () => {
  it('reads T as pending and D as done, in file order', () => {
    expect(parseRecipients(b('Tbob@example.org\0Dcarol@example.net\0'), 'remote')).toEqual([
      { kind: 'remote', address: 'bob@example.org', done: false },
      { kind: 'remote', address: 'carol@example.net', done: true },
    ]);
  });
  it('skips unknown record types and a last record without its NUL, as qmail-qread does', () => {
    expect(parseRecipients(b('Xjunk\0\0Tjoe@nowhere.mil\0Tpartial'), 'local')).toEqual([
      { kind: 'local', address: 'joe@nowhere.mil', done: false },
    ]);
  });
});

describe('splitPath and parseId', () => {
  it('puts split files under ID mod conf-split', () => {
    expect(splitPath('q/info', 2172258, 23)).toBe(`q/info/${2172258 % 23}/2172258`);
  });
  it('accepts only all-digit names, as readsubdir does', () => {
    expect(parseId('2172258')).toBe(2172258);
    expect(parseId('12.tmp')).toBeUndefined();
    expect(parseId('')).toBeUndefined();
    expect(parseId('99999999999999999999')).toBeUndefined();
  });
});
