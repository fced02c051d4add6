import { ZodError } from 'zod';
import { parseMessage } from './message';
import { pageOf, searchMessages, simpleSearchQuery, type MailSearchCriterion, type SearchableMessage } from './search';

const ann = [
  'From: =?utf-8?q?Ann_M=C3=BCller?= <ann@example.com>',
  'To: bob@example.org',
  'Cc: carol@example.net',
  'Subject: Quarterly REPORT',
  'Date: Tue, 02 Jan 2024 10:00:00 +0000',
  'X-Spam-Status: No, score=0.1',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Numbers are up.',
  '--b',
  'Content-Type: application/pdf; name="q.pdf"',
  'Content-Disposition: attachment; filename="q.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0xLjQK',
  '--b--',
  '',
].join('\n');
const dan = ['From: dan@example.com', 'To: eve@example.org', 'Subject: lunch?', 'Date: Fri, 05 Jan 2024 12:00:00 +0000', '', 'Pizza at noon.', ''].join('\n');

let messages: Array<SearchableMessage & { name: string }>;
beforeAll(async () => {
  messages = await Promise.all(
    [['ann', ann], ['dan', dan]].map(async ([name, text]) => {
      const raw = Buffer.from(text);
      return { name, raw, parsed: await parseMessage(raw) };
    }),
  );
});

const names = (...criteria: MailSearchCriterion[]) => searchMessages(messages, { criteria }).map((m) => m.name);

describe('parseMessage', () => {
  it('gives the headers in order, the decoded addresses and subject, the text and the attachments', () => {
    const p = messages[0].parsed;
    expect(p.headers[0]).toEqual(['From', '=?utf-8?q?Ann_M=C3=BCller?= <ann@example.com>']);
    expect(p.from).toContain('Ann Müller');
    expect(p.to).toBe('bob@example.org');
    expect(p.subject).toBe('Quarterly REPORT');
    expect(p.date?.toISOString()).toBe('2024-01-02T10:00:00.000Z');
    expect(p.text.trim()).toBe('Numbers are up.');
    expect(p.attachments).toEqual([{ index: 0, filename: 'q.pdf', contentType: 'application/pdf', size: 9 }]);
  });
});

describe('searchMessages (Webmin semantics, QMAIL.md §7)', () => {
  it.each<[MailSearchCriterion['field'], string, string]>([
    ['from', 'müller', 'ann'],
    ['from', 'ANN@EXAMPLE', 'ann'],
    ['to', 'eve@', 'dan'],
    ['cc', 'carol', 'ann'],
    ['subject', 'quarterly report', 'ann'],
    ['date', '05 Jan', 'dan'],
    ['body', 'PIZZA', 'dan'],
    ['header', 'score=0.1', 'ann'],
    ['message', 'JVBERi0', 'ann'],
  ])('%s contains %j matches only %s, and its negation only the other', (field, value, only) => {
    expect(names({ field, op: 'contains', value })).toEqual([only]);
    expect(names({ field, op: 'notContains', value })).toEqual(['ann', 'dan'].filter((n) => n !== only));
  });

  it('matches literally: regex characters are plain text', () => {
    expect(names({ field: 'subject', op: 'contains', value: 'lunch?' })).toEqual(['dan']);
    expect(names({ field: 'subject', op: 'contains', value: '.*' })).toEqual([]);
  });

  it('looks in one named header, in any case', () => {
    expect(names({ field: 'header', headerName: 'x-spam-status', op: 'contains', value: 'no' })).toEqual(['ann']);
    expect(names({ field: 'header', headerName: 'To', op: 'contains', value: 'example.com' })).toEqual([]);
    expect(names({ field: 'header', headerName: 'x-spam-status', op: 'notContains', value: 'no' })).toEqual(['dan']);
  });

  it('compares size in bytes, and dates', () => {
    const small = messages[1].raw.length;
    expect(names({ field: 'size', op: 'greaterThan', value: small })).toEqual(['ann']);
    expect(names({ field: 'size', op: 'lessThan', value: small + 1 })).toEqual(['dan']);
    expect(names({ field: 'size', op: 'lessThan', value: String(small) })).toEqual([]);
    expect(names({ field: 'date', op: 'greaterThan', value: '2024-01-03' })).toEqual(['dan']);
    expect(names({ field: 'date', op: 'lessThan', value: '2024-01-03' })).toEqual(['ann']);
  });

  it('joins rows with and / or', () => {
    const rows: MailSearchCriterion[] = [
      { field: 'from', op: 'contains', value: 'ann' },
      { field: 'body', op: 'contains', value: 'pizza' },
    ];
    expect(searchMessages(messages, { criteria: rows, join: 'and' })).toEqual([]);
    expect(searchMessages(messages, { criteria: rows, join: 'or' }).map((m) => m.name)).toEqual(['ann', 'dan']);
  });

  it('refuses queries that compare text by order or size by text', () => {
    expect(() => names({ field: 'subject', op: 'greaterThan', value: 'a' })).toThrow(ZodError);
    expect(() => names({ field: 'size', op: 'contains', value: 10 })).toThrow(ZodError);
    expect(() => names({ field: 'size', op: 'lessThan', value: 'big' })).toThrow(ZodError);
    expect(() => searchMessages(messages, { criteria: [] })).toThrow(ZodError);
  });
});

describe('pageOf', () => {
  const list = Array.from({ length: 45 }, (_, i) => i);
  it('pages 20 a page by default, 1-based, clamped', () => {
    expect(pageOf(list, 1).items).toEqual(list.slice(0, 20));
    expect(pageOf(list, 3)).toMatchObject({ items: list.slice(40), page: 3, pages: 3, total: 45 });
    expect(pageOf(list, 9).page).toBe(3);
    expect(pageOf([], 1)).toMatchObject({ items: [], page: 1, pages: 1, total: 0 });
    expect(pageOf(list, 2, 10).items).toEqual(list.slice(10, 20));
  });
});

describe('simpleSearchQuery (the search box)', () => {
  const simple = (text: string) => searchMessages(messages, simpleSearchQuery(text)).map((m) => m.name);

  it('finds the text in From, Subject or To, case-insensitively, decoded names included', () => {
    expect(simple('müller')).toEqual(['ann']);
    expect(simple('LUNCH')).toEqual(['dan']);
    expect(simple('eve@example')).toEqual(['dan']);
    expect(simple('example.org')).toEqual(['ann', 'dan']);
  });

  it('does not look in Cc or the body unless asked with field: text', () => {
    expect(simple('carol')).toEqual([]);
    expect(simple('pizza')).toEqual([]);
    expect(simple('cc: carol')).toEqual(['ann']);
    expect(simple('Body:pizza')).toEqual(['dan']);
    expect(simple('subject: report')).toEqual(['ann']);
  });

  it('takes regex characters literally', () => {
    expect(simple('lunch?')).toEqual(['dan']);
    expect(simple('.*')).toEqual([]);
  });
});
