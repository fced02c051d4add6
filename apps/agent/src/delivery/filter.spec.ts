import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Filter } from '@qfleet/protocol';
import { runFilter } from './filter';
import { deliveryEnv, makeAliasHome, makeMaildir, message, messageStream, recordingInject, type AliasHome } from './test-support/alias-home';

const MSG = message(
  [
    'From: Alice <alice@example.org>',
    'To: Sales <sales@example.com>',
    'Cc: boss@example.com',
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= about invoices',
    'X-Spam-Status: Yes, score=7.1',
    'X-Spam-Status: second occurrence',
  ],
  'Please see the attached PDF.\nFrom the desk of Alice\n>From quoted already\n',
);

type Rule = Filter['rules'][number];

describe('qfleet-filter', () => {
  let t: AliasHome;
  const lines: string[] = [];
  beforeEach(async () => {
    t = await makeAliasHome();
    lines.length = 0;
  });
  afterEach(() => t.cleanup());

  async function run(filter: unknown, opts: { msg?: string; env?: Record<string, string> } = {}) {
    await t.write('qfleet/example-sales.filter', JSON.stringify(filter, null, 2) + '\n');
    const inject = recordingInject();
    const code = await runFilter({
      file: 'qfleet/example-sales.filter',
      env: deliveryEnv(opts.env),
      stdin: messageStream(opts.msg ?? MSG),
      cwd: t.alias,
      now: () => new Date(Date.UTC(2024, 2, 5, 9, 7, 3)),
      inject,
      log: (l) => lines.push(l),
    });
    return { code, inject };
  }

  const discardIf = (rule: Omit<Rule, 'action'>) => ({ rules: [{ ...rule, action: 'discard' }] });

  it.each<[string, Omit<Rule, 'action'>, number]>([
    ['from matches the From header', { field: 'from', contains: 'ALICE@example.org' }, 99],
    ['from does not match another sender', { field: 'from', contains: 'mallory' }, 0],
    ['to matches the To header', { field: 'to', contains: 'sales@' }, 99],
    ['cc matches the Cc header', { field: 'cc', contains: 'boss' }, 99],
    ['cc does not look at To', { field: 'cc', contains: 'sales@' }, 0],
    ['subject matches the decoded subject', { field: 'subject', contains: 'grüße' }, 99],
    ['body matches the text', { field: 'body', contains: 'attached pdf' }, 99],
    ['header matches a named header', { field: 'header', header: 'x-spam-status', contains: 'yes,' }, 99],
    ['header matches any occurrence', { field: 'header', header: 'X-Spam-Status', contains: 'second' }, 99],
    ['header does not match a missing header', { field: 'header', header: 'X-Other', contains: 'yes' }, 0],
    ['negate matches when the text is absent', { field: 'subject', contains: 'urgent', negate: true }, 99],
    ['negate does not match when the text is present', { field: 'subject', contains: 'invoices', negate: true }, 0],
  ])('%s', async (_what, rule, code) => {
    expect((await run(discardIf(rule))).code).toBe(code);
  });

  it('takes the first rule that matches', async () => {
    await makeMaildir(join(t.alias, 'first'));
    await makeMaildir(join(t.alias, 'second'));
    const { code } = await run({
      rules: [
        { field: 'subject', contains: 'nothing like it', action: 'discard' },
        { field: 'from', contains: 'alice', action: 'maildir', to: './first/' },
        { field: 'from', contains: 'alice', action: 'maildir', to: './second/' },
      ],
    });
    expect(code).toBe(99);
    expect(await readdir(join(t.alias, 'first/new'))).toHaveLength(1);
    expect(await readdir(join(t.alias, 'second/new'))).toHaveLength(0);
  });

  it('uses "otherwise" when no rule matches, and deliver (exit 0) by default', async () => {
    expect((await run({ rules: [{ field: 'from', contains: 'bob', action: 'discard' }] })).code).toBe(0);
    expect((await run({ rules: [{ field: 'from', contains: 'bob', action: 'deliver' }], otherwise: { action: 'discard' } })).code).toBe(99);
  });

  it('forwards the message unchanged with the original envelope sender, DTLINE first', async () => {
    const { code, inject } = await run({ rules: [{ field: 'from', contains: 'alice', action: 'forward', to: 'archive@example.net' }] });
    expect(code).toBe(99);
    expect(inject.calls).toEqual([{ args: ['-a', '-f', 'alice@example.org', '--', 'archive@example.net'], message: 'Delivered-To: example-sales@example.com\n' + MSG }]);
  });

  it('forwards a bounce with the empty sender, so its own bounce cannot loop', async () => {
    const { inject } = await run({ rules: [{ field: 'from', contains: 'alice', action: 'forward', to: 'archive@example.net' }] }, { env: { SENDER: '', NEWSENDER: '' } });
    expect(inject.calls[0].args).toEqual(['-a', '-f', '', '--', 'archive@example.net']);
  });

  it('delivers to a Maildir: one file in new/, none left in tmp/, RPLINE and DTLINE first', async () => {
    await makeMaildir(join(t.alias, 'Maildir-sales'));
    const { code } = await run({ rules: [{ field: 'to', contains: 'sales', action: 'maildir', to: './Maildir-sales/' }] });
    expect(code).toBe(99);
    const fresh = await readdir(join(t.alias, 'Maildir-sales/new'));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatch(new RegExp(`^\\d+\\.${process.pid}\\.`));
    expect(await readdir(join(t.alias, 'Maildir-sales/tmp'))).toEqual([]);
    expect(await t.read(`Maildir-sales/new/${fresh[0]}`)).toBe('Return-Path: <alice@example.org>\nDelivered-To: example-sales@example.com\n' + MSG);
  });

  it('exits 111 when the Maildir does not exist, so qmail retries', async () => {
    const { code } = await run({ rules: [{ field: 'to', contains: 'sales', action: 'maildir', to: './Missing/' }] });
    expect(code).toBe(111);
    expect(lines.at(-1)).toMatch(/maildir to \.\/Missing\/ failed: ENOENT/);
  });

  it('appends to an mbox with a From_ line, mboxrd quoting and a blank line', async () => {
    await writeFile(join(t.alias, 'sales.mbox'), 'From x Thu Jan  1 00:00:00 1970\n\nolder\n\n');
    const { code } = await run({ rules: [{ field: 'from', contains: 'alice', action: 'mbox', to: 'sales.mbox' }] });
    expect(code).toBe(99);
    const mbox = await readFile(join(t.alias, 'sales.mbox'), 'utf8');
    const entry = mbox.slice('From x Thu Jan  1 00:00:00 1970\n\nolder\n\n'.length);
    expect(entry.split('\n').slice(0, 3)).toEqual(['From alice@example.org Tue Mar  5 09:07:03 2024', 'Return-Path: <alice@example.org>', 'Delivered-To: example-sales@example.com']);
    expect(entry).toContain('\n>From the desk of Alice\n>>From quoted already\n\n');
    expect(entry.endsWith('already\n\n')).toBe(true);
  });

  it("uses qmail-local's UFLINE when it is set, and MAILER-DAEMON for a bounce otherwise", async () => {
    await run({ rules: [{ field: 'from', contains: 'alice', action: 'mbox', to: 'a.mbox' }] }, { env: { UFLINE: 'From alice@example.org Mon Mar  4 00:00:00 2024\n' } });
    expect(await t.read('a.mbox')).toMatch(/^From alice@example\.org Mon Mar {2}4 00:00:00 2024\n/);
    await run({ rules: [{ field: 'from', contains: 'alice', action: 'mbox', to: 'b.mbox' }] }, { env: { SENDER: '' } });
    expect(await t.read('b.mbox')).toMatch(/^From MAILER-DAEMON Tue Mar {2}5 09:07:03 2024\n/);
  });

  it('exits 111 when qmail-inject fails for now', async () => {
    await t.write('qfleet/example-sales.filter', JSON.stringify({ rules: [{ field: 'from', contains: 'alice', action: 'forward', to: 'x@example.net' }] }));
    const code = await runFilter({ file: 'qfleet/example-sales.filter', env: deliveryEnv(), stdin: messageStream(MSG), cwd: t.alias, inject: recordingInject(111), log: (l) => lines.push(l) });
    expect(code).toBe(111);
  });

  it.each([
    ['invalid JSON', '{"rules": ['],
    ['a header rule without a header name', JSON.stringify(discardIf({ field: 'header', contains: 'x' }))],
    ['a forward without an address', JSON.stringify({ rules: [{ field: 'from', contains: 'x', action: 'forward' }] })],
    ['an unknown action', JSON.stringify({ rules: [{ field: 'from', contains: 'x', action: 'explode' }] })],
  ])('exits 111 on %s, naming the file', async (_what, content) => {
    await t.write('qfleet/example-sales.filter', content);
    const code = await runFilter({ file: 'qfleet/example-sales.filter', env: deliveryEnv(), stdin: messageStream(MSG), cwd: t.alias, inject: recordingInject(), log: (l) => lines.push(l) });
    expect(code).toBe(111);
    expect(lines[0]).toContain('example-sales.filter');
  });
});
