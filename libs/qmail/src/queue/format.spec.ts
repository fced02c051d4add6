import { formatQread, formatQstat, qreadDate } from './format';
import type { QueuedMessage } from './types';

const msg = (over: Partial<QueuedMessage>): QueuedMessage => ({
  id: 1,
  queuedAt: new Date('2024-03-14T09:12:44Z'),
  size: 1,
  sender: 'a@b',
  recipients: [],
  bouncing: false,
  nextRetryAt: {},
  ...over,
});

describe('formatQread', () => {
  it('prints the verified example of QMAIL.md §4, local lines first', () => {
    const text = formatQread([
      msg({
        id: 2172258,
        size: 33,
        sender: 'alice@example.com',
        bouncing: true,
        recipients: [
          { kind: 'remote', address: 'bob@example.org', done: false },
          { kind: 'remote', address: 'carol@example.net', done: true },
          { kind: 'local', address: 'joe-info@nowhere.mil', done: false },
        ],
      }),
    ]);
    expect(text).toBe(
      '14 Mar 2024 09:12:44 GMT  #2172258  33  <alice@example.com>  bouncing\n' +
        '\tlocal\tjoe-info@nowhere.mil\n' +
        '\tremote\tbob@example.org\n' +
        '  done\tremote\tcarol@example.net\n',
    );
  });

  it('ends the header with a space when the message is not bouncing, and shows a bounce as <>', () => {
    expect(formatQread([msg({ id: 7, size: 0, sender: '' })])).toBe('14 Mar 2024 09:12:44 GMT  #7  0  <> \n');
  });

  it('prints bytes outside 32-126 as _, in the sender and in recipients, byte by byte', () => {
    const text = formatQread([
      msg({ sender: 'a\tb\u00c3\u00a9', recipients: [{ kind: 'local', address: 'x\x7fy\u00ff', done: true }] }),
    ]);
    expect(text).toBe('14 Mar 2024 09:12:44 GMT  #1  1  <a_b__> \n  done\tlocal\tx_y_\n');
  });

  it('prints nothing for an empty queue', () => {
    expect(formatQread([])).toBe('');
  });
});

describe('qreadDate', () => {
  it('is UTC, the day unpadded and the time padded, seconds truncated', () => {
    expect(qreadDate(new Date('2001-01-02T03:04:05.999Z'))).toBe('2 Jan 2001 03:04:05');
    expect(qreadDate(new Date('1999-12-31T23:59:59Z'))).toBe('31 Dec 1999 23:59:59');
  });
});

describe('formatQstat', () => {
  it('prints the two lines of qmail-qstat', () => {
    expect(formatQstat({ messages: 5, unprocessed: 0 })).toBe(
      'messages in queue: 5\nmessages in queue but not yet preprocessed: 0\n',
    );
  });
});
