import fc from 'fast-check';
import type { AliasDestination } from '@qfleet/protocol';
import { UnrenderableValue } from './control';
import { destinationProblems, dotQmailMailboxes, parseDotQmail, qmailExt, renderDotQmail } from './dot-qmail';

const autoreply = { subject: 'Away', body: 'Back on Monday.\n', periodSec: 3600 };
const filter = { rules: [{ field: 'subject' as const, contains: 'invoice', action: 'forward' as const, to: 'billing@example.com' }], otherwise: { action: 'deliver' as const } };

describe('qmailExt', () => {
  it('lowercases and turns dots into colons, as qmail-local does', () => {
    expect(qmailExt('John.Doe')).toBe('john:doe');
  });
});

describe('renderDotQmail', () => {
  it('writes one line per destination in document order', () => {
    const { content, companions } = renderDotQmail('sales', [
      { kind: 'forward', value: 'joe@example.com' },
      { kind: 'maildir', value: './Maildir/' },
      { kind: 'mbox', value: '/var/mail/sales' },
      { kind: 'program', value: 'preline /usr/bin/procmail' },
    ]);
    expect(content).toBe('&joe@example.com\n./Maildir/\n/var/mail/sales\n|preline /usr/bin/procmail\n');
    expect(companions).toEqual([]);
  });

  it('writes a discard as a file holding only #', () => {
    expect(renderDotQmail('junk', [{ kind: 'discard' }]).content).toBe('#\n');
  });

  it('runs qfleet-autoreply with its data file, relative to the alias home', () => {
    expect(renderDotQmail('john:doe', [{ kind: 'forward', value: 'a@b.example' }, { kind: 'autoreply', autoreply }])).toEqual({
      content: '&a@b.example\n|qfleet/bin/qfleet-autoreply qfleet/john:doe.autoreply\n',
      companions: [{ path: 'qfleet/john:doe.autoreply', content: `${JSON.stringify(autoreply, null, 2)}\n` }],
    });
  });

  it('puts the filter first, whose exit 99 skips the remaining lines', () => {
    const { content, companions } = renderDotQmail('sales', [{ kind: 'maildir', value: './Maildir/' }, { kind: 'filter', filter }]);
    expect(content).toBe('|qfleet/bin/qfleet-filter qfleet/sales.filter\n./Maildir/\n');
    expect(companions[0]?.content).toBe(`${JSON.stringify(filter, null, 2)}\n`);
  });

  it('refuses a destination that qmail would misread, naming it', () => {
    expect(() => renderDotQmail('x', [{ kind: 'maildir', value: 'Maildir/' }])).toThrow(UnrenderableValue);
    expect(() => renderDotQmail('x', [{ kind: 'discard' }, { kind: 'mbox', value: '/dev/null' }])).toThrow('destinations[1].value');
  });
});

describe('destinationProblems', () => {
  it.each<[AliasDestination, string | null]>([
    [{ kind: 'forward', value: 'joe@example.com' }, null],
    [{ kind: 'forward', value: 'joe' }, 'value'],
    [{ kind: 'forward', value: 'j oe@example.com' }, 'value'],
    [{ kind: 'forward', value: '<joe@example.com>' }, 'value'],
    [{ kind: 'maildir', value: '/home/a/Maildir/' }, null],
    [{ kind: 'maildir', value: './Maildir' }, 'value'],
    [{ kind: 'mbox', value: './Mailbox' }, null],
    [{ kind: 'mbox', value: '/dev/null' }, 'value'],
    [{ kind: 'mbox', value: 'Mailbox' }, 'value'],
    [{ kind: 'program', value: '|cmd' }, 'value'],
    [{ kind: 'filter', filter: { rules: [{ field: 'header', contains: 'x', action: 'maildir', to: './Spam' }], otherwise: { action: 'deliver' } } }, 'filter.rules[0]'],
  ])('%j → %s', (d, path) => {
    expect(destinationProblems(d)[0]?.[0] ?? null).toBe(path);
  });
});

describe('parseDotQmail', () => {
  const data: Record<string, string> = {
    'qfleet/sales.autoreply': JSON.stringify({ subject: 'Away', body: 'x' }),
    'qfleet/sales.filter': JSON.stringify(filter),
  };
  const companion = (p: string) => data[p];

  it('reads every line type, dropping comments and blank lines', () => {
    const r = parseDotQmail('# LWQ\ndave\n&joe@example.com \n\n./Maildir/\n/var/mail/x\t\n|preline procmail\n', companion);
    expect(r.entries).toEqual([
      { kind: 'forward', value: 'dave' },
      { kind: 'forward', value: 'joe@example.com' },
      { kind: 'maildir', value: './Maildir/' },
      { kind: 'mbox', value: '/var/mail/x' },
      { kind: 'program', value: 'preline procmail' },
    ]);
    expect(r.dropped.map((d) => d.line)).toEqual([1, 4]);
    expect(r.refused).toEqual([]);
  });

  it('reads qfleet autoreply and filter lines with their data files', () => {
    const r = parseDotQmail('|qfleet/bin/qfleet-filter qfleet/sales.filter\n|qfleet/bin/qfleet-autoreply qfleet/sales.autoreply\n', companion);
    expect(r.entries).toEqual([
      { kind: 'filter', filter },
      { kind: 'autoreply', autoreply: { subject: 'Away', body: 'x', periodSec: 3600 } },
    ]);
  });

  it('refuses an autoreply line whose data file is missing', () => {
    expect(parseDotQmail('|qfleet/bin/qfleet-autoreply qfleet/other.autoreply\n', companion).refused).toHaveLength(1);
  });

  it('reads a file of comments only as a discard', () => {
    expect(parseDotQmail('#\n').entries).toEqual([{ kind: 'discard' }]);
    expect(parseDotQmail('# bit bucket\n#\n').entries).toEqual([{ kind: 'discard' }]);
  });

  it('refuses an empty file (defaultdelivery) and a blank first line (a temporary error)', () => {
    expect(parseDotQmail('').refused).toHaveLength(1);
    expect(parseDotQmail('\n&a@b.example\n').refused).toHaveLength(1);
  });

  it('refuses a line with a leading blank, which qmail would take for a forward', () => {
    expect(parseDotQmail(' joe@example.com\n').refused).toHaveLength(1);
  });
});

describe('.qmail properties', () => {
  const addr = fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,6}$/), fc.stringMatching(/^[a-z]{1,4}\.[a-z]{2,3}$/)).map(([l, d]) => `${l}@${d}`);
  const line = fc.oneof(
    addr.map((a) => `&${a}`),
    addr,
    fc.stringMatching(/^\.?\/[a-zA-Z0-9_/]{0,8}$/),
    fc.stringMatching(/^\|[a-z][a-z /-]{0,10}[a-z]$/),
    fc.constantFrom('# note', '#'),
    addr.map((a) => `${a} \t`),
  );
  const file = fc.array(line, { minLength: 1, maxLength: 8 }).map((ls) => `${ls.join('\n')}\n`);

  /** What qmail-local does with a file: its deliveries in order (comments only = discard). */
  const meaning = (content: string) => parseDotQmail(content).entries;

  it('rewrites a hand-made file to one with the same deliveries', () => {
    fc.assert(
      fc.property(file, (content) => {
        const before = parseDotQmail(content);
        expect(before.refused).toEqual([]);
        const out = renderDotQmail('x', before.entries).content;
        expect(meaning(out)).toEqual(before.entries);
      }),
    );
  });
});

describe('dotQmailMailboxes', () => {
  it('finds Maildir (ending in /) and mbox lines, relative or absolute, as qmail-local tells them apart', () => {
    const content = '# sales\n./Maildirs/sales/\n&boss@example.com\n|/usr/bin/true\n/var/mail/sales  \n./Mailbox\nsales@elsewhere.example\n';
    expect(dotQmailMailboxes(content)).toEqual([
      { path: './Maildirs/sales', format: 'maildir' },
      { path: '/var/mail/sales', format: 'mbox' },
      { path: './Mailbox', format: 'mbox' },
    ]);
  });

  it('finds none in a discard file or a forward', () => {
    expect(dotQmailMailboxes('#\n')).toEqual([]);
    expect(dotQmailMailboxes('&a@example.com\n')).toEqual([]);
  });
});
