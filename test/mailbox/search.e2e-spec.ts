import { join } from 'node:path';
import {
  listMaildir,
  listMbox,
  pageOf,
  parseMessage,
  readMaildirMessage,
  readMboxMessage,
  searchMessages,
  type MailSearchCriterion,
  type SearchableMessage,
} from '@qfleet/qmail';
import { appendToMbox, deliverToMaildir, makeMaildir, message, tempDir } from './mailboxes';

/** Three messages, oldest first; each criterion below picks exactly one of them. */
const MAILS = [
  message({
    from: 'alice@example.com',
    to: 'bob@example.org',
    cc: 'carol@example.net',
    subject: 'Invoice 2024-001',
    date: new Date(Date.UTC(2024, 0, 1, 9)),
    extra: ['X-Spam-Status: Yes, score=9.9'],
    body: 'Please pay by Friday.\nFrom accounting, with thanks.\n',
  }),
  message({
    from: 'dave@example.com',
    to: 'erin@example.org',
    subject: '=?utf-8?q?Caf=C3=A9_meeting?=',
    date: new Date(Date.UTC(2024, 1, 14, 12)),
    body: 'See you at the café.\n',
  }),
  message({
    from: 'frank@example.com',
    to: 'grace@example.org',
    subject: 'Logs',
    date: new Date(Date.UTC(2024, 2, 3, 18)),
    body: `${'log line\n'.repeat(400)}>From a quoted line\n`,
  }),
];
const NAMES = ['alice', 'dave', 'frank'];

type Loaded = SearchableMessage & { name: string };

async function loaded(raws: Buffer[]): Promise<Loaded[]> {
  return Promise.all(
    raws.map(async (raw) => {
      const parsed = await parseMessage(raw);
      return { raw, parsed, name: parsed.from.split('@')[0] };
    }),
  );
}

const formats: Array<[string, (dir: string) => Promise<Loaded[]>]> = [
  [
    'Maildir',
    async (dir) => {
      const md = makeMaildir(join(dir, 'Maildir'));
      MAILS.forEach((m, i) => deliverToMaildir(md, m, new Date(Date.UTC(2024, 3, 1, 0, i))));
      const list = await listMaildir(md);
      return loaded(await Promise.all(list.map((m) => readMaildirMessage(md, m.id))));
    },
  ],
  [
    'mbox',
    async (dir) => {
      const file = join(dir, 'Mailbox');
      MAILS.forEach((m, i) => appendToMbox(file, `${NAMES[i]}@example.com`, m));
      const list = await listMbox(file);
      return loaded(await Promise.all(list.map((m) => readMboxMessage(file, m.id))));
    },
  ],
];

describe.each(formats)('searching a %s (Webmin Read User Mail semantics, QMAIL.md §7)', (_format, build) => {
  let tmp: ReturnType<typeof tempDir>;
  let messages: Loaded[];
  beforeAll(async () => {
    tmp = tempDir('search');
    messages = await build(tmp.dir);
  });
  afterAll(() => tmp.remove());

  const search = (...criteria: MailSearchCriterion[]) => searchMessages(messages, { criteria }).map((m) => m.name);

  it('lists newest first and reads each message back exactly as delivered', () => {
    expect(messages.map((m) => m.name)).toEqual(['frank', 'dave', 'alice']);
    expect(messages.map((m) => m.raw.toString())).toEqual([...MAILS].reverse());
  });

  it.each<[MailSearchCriterion['field'], string, string, string | null]>([
    ['from', 'ALICE@', 'alice', null],
    ['to', 'erin', 'dave', null],
    ['cc', 'carol@example.net', 'alice', null],
    ['subject', 'café', 'dave', null],
    ['subject', 'caf=c3=a9', 'dave', null],
    ['date', '14 Feb 2024', 'dave', null],
    ['body', 'FROM ACCOUNTING', 'alice', null],
    ['body', '>from a quoted', 'frank', null],
    ['header', 'score=9.9', 'alice', null],
    ['header', 'yes', 'alice', 'X-Spam-Status'],
    ['message', 'grace@example.org', 'frank', null],
  ])('%s contains %j picks %s; doesn\'t contain picks the others', (field, value, only, headerName) => {
    const criterion = { field, value, ...(headerName ? { headerName } : {}) };
    expect(search({ ...criterion, op: 'contains' })).toEqual([only]);
    expect(search({ ...criterion, op: 'notContains' })).toEqual(['frank', 'dave', 'alice'].filter((n) => n !== only));
  });

  it('compares size in bytes: greater than, and less than (its negation in Webmin)', () => {
    const frank = messages[0].raw.length;
    expect(search({ field: 'size', op: 'greaterThan', value: frank - 1 })).toEqual(['frank']);
    expect(search({ field: 'size', op: 'lessThan', value: frank })).toEqual(['dave', 'alice']);
  });

  it('compares dates', () => {
    expect(search({ field: 'date', op: 'greaterThan', value: '2024-02-01' })).toEqual(['frank', 'dave']);
    expect(search({ field: 'date', op: 'lessThan', value: '2024-02-01' })).toEqual(['alice']);
  });

  it('joins rows with AND or OR', () => {
    const rows: MailSearchCriterion[] = [
      { field: 'from', op: 'contains', value: 'example.com' },
      { field: 'subject', op: 'notContains', value: 'logs' },
    ];
    expect(searchMessages(messages, { criteria: rows, join: 'and' }).map((m) => m.name)).toEqual(['dave', 'alice']);
    expect(searchMessages(messages, { criteria: [rows[1], { field: 'to', op: 'contains', value: 'grace' }], join: 'or' }).map((m) => m.name)).toEqual(['frank', 'dave', 'alice']);
  });

  it('pages results', () => {
    expect(pageOf(messages, 2, 2)).toMatchObject({ page: 2, pages: 2, total: 3, items: [messages[2]] });
  });
});
