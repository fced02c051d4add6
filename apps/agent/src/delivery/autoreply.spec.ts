import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runAutoreply, type AutoreplyRun } from './autoreply';
import { deliveryEnv, makeAliasHome, message, messageStream, recordingInject, type AliasHome } from './test-support/alias-home';

const AUTOREPLY = { subject: 'Out of office', body: 'I am away until Monday.\n', periodSec: 3600 };
const ORIGINAL = message(['From: Alice <alice@example.org>', 'To: sales@example.com', 'Subject: prices', 'Message-ID: <m1@example.org>']);

describe('qfleet-autoreply', () => {
  let t: AliasHome;
  const lines: string[] = [];
  beforeEach(async () => {
    t = await makeAliasHome();
    lines.length = 0;
    await t.write('qfleet/example-sales.autoreply', JSON.stringify(AUTOREPLY, null, 2) + '\n');
  });
  afterEach(() => t.cleanup());

  function run(inject: AutoreplyRun['inject'], opts: { msg?: string; env?: Record<string, string>; at?: number } = {}) {
    return runAutoreply({
      file: 'qfleet/example-sales.autoreply',
      env: deliveryEnv(opts.env),
      stdin: messageStream(opts.msg ?? ORIGINAL),
      cwd: t.alias,
      now: () => new Date(opts.at ?? 1_700_000_000_000),
      inject,
      log: (l) => lines.push(l),
    });
  }

  it('replies once with a null envelope sender to the envelope sender', async () => {
    const inject = recordingInject();
    expect(await run(inject)).toBe(0);
    expect(inject.calls).toHaveLength(1);
    expect(inject.calls[0].args).toEqual(['-a', '-f', '', '--', 'alice@example.org']);
  });

  it('writes the reply headers that stop loops and thread the reply', async () => {
    const inject = recordingInject();
    await run(inject);
    const [head, body] = inject.calls[0].message.split('\n\n');
    expect(head.split('\n')).toEqual([
      'From: example-sales@example.com',
      'To: <alice@example.org>',
      'Subject: Out of office',
      'In-Reply-To: <m1@example.org>',
      'References: <m1@example.org>',
      'Auto-Submitted: auto-replied',
      'X-Loop: qfleet',
      'Precedence: bulk',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ]);
    expect(body).toBe('I am away until Monday.\n');
  });

  it('uses the configured From, and encodes a non-ASCII subject', async () => {
    await t.write('qfleet/example-sales.autoreply', JSON.stringify({ ...AUTOREPLY, from: 'Sales <sales@example.com>', subject: 'Abwesenheit – zurück Montag' }));
    const inject = recordingInject();
    await run(inject);
    expect(inject.calls[0].message).toMatch(/^From: Sales <sales@example\.com>\n/);
    expect(inject.calls[0].message).toMatch(/\nSubject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\n/);
  });

  it('answers from the address the sender wrote to, without the virtual domain prepend', async () => {
    await t.write('../control/virtualdomains', 'example.com:example\n');
    const inject = recordingInject();
    await run(inject);
    expect(inject.calls[0].message).toMatch(/^From: sales@example\.com\n/);
  });

  it('replies to a sender at most once per period, and again after it', async () => {
    const inject = recordingInject();
    const t0 = 1_700_000_000_000;
    await run(inject, { at: t0 });
    await run(inject, { at: t0 + 3599_000 });
    await run(inject, { at: t0 + 60_000, env: { SENDER: 'ALICE@example.org' } });
    expect(inject.calls).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/already replied within 3600 s/);
    await run(inject, { at: t0 + 3600_000 });
    expect(inject.calls).toHaveLength(2);
    await run(inject, { at: t0 + 3601_000, env: { SENDER: 'bob@example.net' } });
    expect(inject.calls).toHaveLength(3);
  });

  it('keeps the tracking log in qfleet/track, pruned of expired senders', async () => {
    const inject = recordingInject();
    const t0 = 1_700_000_000_000;
    await run(inject, { at: t0, env: { SENDER: 'old@example.net' } });
    await run(inject, { at: t0 + 4000_000 });
    expect(JSON.parse(await t.read('qfleet/track/example-sales'))).toEqual({ 'alice@example.org': 1_700_004_000 });
  });

  it('still replies when the tracking log is corrupt, and says so', async () => {
    await t.write('qfleet/track/example-sales', '{not json');
    const inject = recordingInject();
    expect(await run(inject)).toBe(0);
    expect(inject.calls).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/reply tracking .* unreadable/);
  });

  it.each([
    ['an empty sender (a bounce)', { env: { SENDER: '' } }],
    ['the double-bounce sender #@[]', { env: { SENDER: '#@[]' } }],
    ['MAILER-DAEMON in any case', { env: { SENDER: 'Mailer-Daemon@example.org' } }],
    ['a list owner', { env: { SENDER: 'owner-list@example.org' } }],
    ['a list request address', { env: { SENDER: 'list-request@example.org' } }],
    ['Auto-Submitted: auto-replied', { msg: message(['From: a@example.org', 'Auto-Submitted: auto-replied']) }],
    ['Auto-Submitted: auto-generated (with a comment)', { msg: message(['From: a@example.org', 'Auto-Submitted: Auto-Generated (cron)']) }],
    ['Precedence: bulk', { msg: message(['From: a@example.org', 'Precedence: bulk']) }],
    ['Precedence: list', { msg: message(['From: a@example.org', 'Precedence: List']) }],
    ['Precedence: junk', { msg: message(['From: a@example.org', 'Precedence: junk']) }],
    ['List-Id', { msg: message(['From: a@example.org', 'List-Id: <news.example.org>']) }],
    ['List-Unsubscribe', { msg: message(['From: a@example.org', 'List-Unsubscribe: <mailto:u@example.org>']) }],
    ["ezmlm's Mailing-List", { msg: message(['From: a@example.org', 'Mailing-List: contact news-help@example.org']) }],
    ['X-Loop: qfleet', { msg: message(['From: a@example.org', 'X-Loop: qfleet']) }],
  ])('never replies to %s', async (_what, opts) => {
    const inject = recordingInject();
    expect(await run(inject, opts)).toBe(0);
    expect(inject.calls).toHaveLength(0);
    expect(lines).toHaveLength(1);
  });

  it('replies when Auto-Submitted is "no"', async () => {
    const inject = recordingInject();
    await run(inject, { msg: message(['From: a@example.org', 'Auto-Submitted: no']) });
    expect(inject.calls).toHaveLength(1);
  });

  it('exits 111 on invalid JSON, so qmail keeps the message', async () => {
    await t.write('qfleet/example-sales.autoreply', '{"subject": ');
    const inject = recordingInject();
    expect(await run(inject)).toBe(111);
    expect(inject.calls).toHaveLength(0);
    expect(lines[0]).toMatch(/example-sales\.autoreply: not JSON/);
  });

  it('exits 111 when the file does not match the schema, naming the field', async () => {
    await t.write('qfleet/example-sales.autoreply', JSON.stringify({ body: 'x' }));
    expect(await run(recordingInject())).toBe(111);
    expect(lines[0]).toMatch(/subject/);
  });

  it('exits 111 and records nothing when qmail-inject fails for now', async () => {
    const inject = recordingInject(111);
    expect(await run(inject)).toBe(111);
    await expect(stat(join(t.alias, 'qfleet/track/example-sales'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('exits 0 when qmail-inject refuses the address for good: the message is still delivered', async () => {
    expect(await run(recordingInject(100))).toBe(0);
    expect(lines[0]).toMatch(/refused/);
  });

  it('does not create the track file when there is nothing to track', async () => {
    await run(recordingInject(), { env: { SENDER: '' } });
    await expect(readFile(join(t.alias, 'qfleet/track/example-sales'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
