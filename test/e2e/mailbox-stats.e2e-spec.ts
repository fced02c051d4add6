import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { testDatabases, type TestDatabase } from '../support/databases';
import { waitFor, type Proc } from '../support/processes';
import { launchBrowser } from '../support/browser';

/**
 * Mailbox statistics (issue 14): real agents on qmail trees with Maildir and mbox mailboxes,
 * their figures checked against what find, du and grep say on the same files.
 */

const sh = (cmd: string) => execSync(cmd, { encoding: 'utf8', shell: '/bin/bash' }).trim();
const num = (cmd: string) => Number(sh(cmd));

/** Users with homes under a fresh directory and a passwd naming them (uids from 1001). */
function makeHomes(users: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-mailstats-'));
  const me = process.getuid?.() ?? 0;
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(passwd, users.map((u, i) => `${u}:x:${me === 0 ? 1001 + i : me}:100::${path.join(dir, u)}:/bin/sh\n`).join(''));
  // qmail-getpw delivers only to a user who owns their home: so does the agent's mailbox discovery.
  users.forEach((u, i) => {
    fs.mkdirSync(path.join(dir, u));
    if (me === 0) fs.chownSync(path.join(dir, u), 1001 + i, 100);
  });
  return { dir, passwd, home: (u: string) => path.join(dir, u), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

let serial = 0;
/** A qmail-local Maildir delivery: `<time>.<pid>.<host>` (with `,S=` when asked), mtime the delivery time. */
function deliverMaildir(maildir: string, sub: 'new' | 'cur', bytes: number, at: number, withSize = false) {
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(maildir, d), { recursive: true });
  const body = `Subject: m${serial}\n\n${'x'.repeat(Math.max(0, bytes - 15))}\n`;
  const name = `${at}.${1000 + serial++}.mx${withSize ? `,S=${Buffer.byteLength(body)}` : ''}${sub === 'cur' ? ':2,S' : ''}`;
  const file = path.join(maildir, sub, name);
  fs.writeFileSync(file, body);
  fs.utimesSync(file, at, at);
}

const asctime = (t: number) => {
  const d = new Date(t * 1000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
};
/** An mboxrd entry as qmail-local appends it; a body line starting "From " is quoted. */
const mboxEntry = (at: number, bytes: number, status?: string) =>
  `From sender@example.com ${asctime(at)}\nSubject: m${serial++}\n${status ? `Status: ${status}\n` : ''}\n>From the body\n${'y'.repeat(bytes)}\n\n`;

/** What the shell says about a Maildir (new/ and cur/ of it and of its Maildir++ folders). */
function maildirByShell(maildir: string) {
  const files = `find ${maildir} -type f \\( -path '*/new/*' -o -path '*/cur/*' \\) ! -name '.*'`;
  return {
    messages: num(`${files} | wc -l`),
    bytes: num(`${files} -print0 | du -cb --apparent-size --files0-from=- | tail -1 | cut -f1`),
    unread: num(`find ${maildir} -type f -path '*/new/*' ! -name '.*' | wc -l`),
    newest: num(`${files} -printf '%T@\\n' | sort -n | tail -1 | cut -d. -f1`),
  };
}
function mboxByShell(file: string) {
  const messages = num(`grep -c '^From ' ${file}`);
  return { messages, bytes: num(`du -b --apparent-size ${file} | cut -f1`), unread: messages - num(`grep -c '^Status: .*R' ${file} || true`) };
}

describe.each(testDatabases())('mailbox statistics on the %s database', (db: TestDatabase) => {
  let ctl: TestController;
  const agents: Proc[] = [];
  const trees = [new QmailTree(), new QmailTree()];
  const md = makeHomes(['alice', 'bob', 'nomail']);
  const mb = makeHomes(['carol', 'dave']);
  const now = Math.floor(Date.now() / 1000);
  let mdHost: { id: string }, mbHost: { id: string };

  beforeAll(async () => {
    // Maildir host: alice near her quota (a .Sent folder too), bob larger, nomail without a Maildir.
    const alice = path.join(md.home('alice'), 'Maildir');
    deliverMaildir(alice, 'new', 1000, now - 7200, true);
    deliverMaildir(alice, 'new', 2000, now - 3600);
    deliverMaildir(alice, 'cur', 1500, now - 86400, true);
    deliverMaildir(path.join(alice, '.Sent'), 'cur', 700, now - 600);
    fs.writeFileSync(path.join(alice, 'maildirsize'), '5000S,100C\n4000 3\n700 1\n');
    const bob = path.join(md.home('bob'), 'Maildir');
    for (let i = 0; i < 12; i++) deliverMaildir(bob, i < 4 ? 'new' : 'cur', 3000 + i * 100, now - 100_000 + i * 60, i % 2 === 0);
    // mbox host: carol small, dave the largest mailbox of the fleet.
    fs.writeFileSync(path.join(mb.home('carol'), 'Mailbox'), mboxEntry(now - 5000, 300, 'RO') + mboxEntry(now - 4000, 400) + mboxEntry(now - 3000, 500, 'O'));
    fs.writeFileSync(path.join(mb.home('dave'), 'Mailbox'), Array.from({ length: 30 }, (_, i) => mboxEntry(now - 90_000 + i, 2000, i < 20 ? 'RO' : undefined)).join(''));

    ctl = await TestController.start(db);
    const a = await ctl.createHost('maildir.example.net');
    const b = await ctl.createHost('mbox.example.net');
    mdHost = a;
    mbHost = b;
    const interval = ['--mailbox-interval', '1'];
    agents.push(await connectAgent(ctl, a, { qmailHome: trees[0].home, args: ['--passwd', md.passwd, '--mailbox', 'maildir', ...interval] }));
    agents.push(await connectAgent(ctl, b, { qmailHome: trees[1].home, args: ['--passwd', mb.passwd, '--mailbox', 'mbox', ...interval] }));
  });
  afterAll(async () => {
    for (const a of agents) await a.stop();
    await ctl?.stop();
    for (const t of trees) t.remove();
    md.remove();
    mb.remove();
  });

  const fleet = async (query = '') => (await ctl.api('GET', `/api/stats/mailboxes${query}`)).body;
  const hostFigures = async (id: string) => (await fleet()).hosts.find((h: { hostId: string }) => h.hostId === id);

  it('reports figures equal to what find, du and grep say, per host and per mailbox', async () => {
    await waitFor('both hosts reported', async () => (await fleet()).hosts.length === 2);
    const alice = maildirByShell(path.join(md.home('alice'), 'Maildir'));
    const bob = maildirByShell(path.join(md.home('bob'), 'Maildir'));
    const carol = mboxByShell(path.join(mb.home('carol'), 'Mailbox'));
    const dave = mboxByShell(path.join(mb.home('dave'), 'Mailbox'));
    expect([alice.messages, alice.unread, bob.messages, carol.messages, carol.unread, dave.unread]).toEqual([4, 2, 12, 3, 2, 10]);

    expect(await hostFigures(mdHost.id)).toMatchObject({ host: 'maildir.example.net', mailboxes: 2, messages: alice.messages + bob.messages, bytes: alice.bytes + bob.bytes, unread: alice.unread + bob.unread });
    expect(await hostFigures(mbHost.id)).toMatchObject({ host: 'mbox.example.net', mailboxes: 2, messages: carol.messages + dave.messages, bytes: carol.bytes + dave.bytes, unread: carol.unread + dave.unread });

    // Every mailbox, asked of the agent now.
    const full = await ctl.api('POST', `/api/stats/mailboxes/hosts/${mdHost.id}/scan`, { full: true });
    expect(full.status).toBe(200);
    const byUser = Object.fromEntries(full.body.all.map((m: { user: string }) => [m.user, m]));
    expect(Object.keys(byUser).sort()).toEqual(['alice', 'bob']);
    expect(byUser.alice).toMatchObject({ format: 'maildir', messages: alice.messages, bytes: alice.bytes, unread: alice.unread, quotaBytes: 5000, quotaMessages: 100, quotaUsedBytes: 4700, quotaUsedMessages: 4 });
    expect(Date.parse(byUser.alice.newestAt) / 1000).toBe(alice.newest);
    expect(byUser.bob).toMatchObject({ messages: bob.messages, bytes: bob.bytes, unread: bob.unread, quotaBytes: null });
    const mbox = await ctl.api('POST', `/api/stats/mailboxes/hosts/${mbHost.id}/scan`, { full: true });
    const mboxUsers = Object.fromEntries(mbox.body.all.map((m: { user: string }) => [m.user, m]));
    expect(mboxUsers.carol).toMatchObject({ format: 'mbox', ...carol, newestAt: new Date((now - 3000) * 1000).toISOString(), oldestAt: new Date((now - 5000) * 1000).toISOString() });
    expect(mboxUsers.dave).toMatchObject({ format: 'mbox', ...dave });
    // Without `full` only the totals and the tops.
    const brief = await ctl.api('POST', `/api/stats/mailboxes/hosts/${mbHost.id}/scan`, {});
    expect(brief.body.all).toBeUndefined();
    expect((await ctl.api('POST', `/api/stats/mailboxes/hosts/${mbHost.id}/scan`, { full: 'yes' })).status).toBe(400);
  });

  it('orders hosts and mailboxes across the fleet, and lists those over a share of their quota', async () => {
    const f = await fleet('?quotaOver=0.9');
    const bytes = (u: string, file: string) => ({ user: u, bytes: u === 'carol' || u === 'dave' ? mboxByShell(file).bytes : maildirByShell(file).bytes });
    const expected = [
      bytes('alice', path.join(md.home('alice'), 'Maildir')),
      bytes('bob', path.join(md.home('bob'), 'Maildir')),
      bytes('carol', path.join(mb.home('carol'), 'Mailbox')),
      bytes('dave', path.join(mb.home('dave'), 'Mailbox')),
    ].sort((a, b) => b.bytes - a.bytes);
    expect(f.largest.map((m: { user: string; bytes: number }) => ({ user: m.user, bytes: m.bytes }))).toEqual(expected);
    expect(f.largest[0]).toMatchObject({ user: 'dave', host: 'mbox.example.net', hostId: mbHost.id });
    const hostBytes = f.hosts.map((h: { bytes: number }) => h.bytes);
    expect(hostBytes).toEqual([...hostBytes].sort((a, b) => b - a));
    expect(f.hosts.map((h: { host: string }) => h.host)).toEqual(['mbox.example.net', 'maildir.example.net']);
    expect(f.overQuota.map((m: { user: string; quotaShare: number }) => [m.user, m.quotaShare])).toEqual([['alice', 4700 / 5000]]);
    expect((await fleet('?quotaOver=0.95')).overQuota).toEqual([]);
    expect((await ctl.api('GET', '/api/stats/mailboxes?quotaOver=lots')).status).toBe(400);
  });

  it('follows a delivery at the next report, in the API, the stored series and /metrics', async () => {
    const before = await hostFigures(mdHost.id);
    deliverMaildir(path.join(md.home('alice'), 'Maildir'), 'new', 800, Math.floor(Date.now() / 1000));
    fs.appendFileSync(path.join(mb.home('carol'), 'Mailbox'), mboxEntry(Math.floor(Date.now() / 1000), 100));
    const after = await waitFor('the Maildir delivery counted', async () => {
      const h = await hostFigures(mdHost.id);
      return h.messages === before.messages + 1 ? h : undefined;
    });
    const shell = maildirByShell(path.join(md.home('alice'), 'Maildir'));
    const bobShell = maildirByShell(path.join(md.home('bob'), 'Maildir'));
    expect(after).toMatchObject({ bytes: shell.bytes + bobShell.bytes, unread: shell.unread + bobShell.unread });
    const carol = mboxByShell(path.join(mb.home('carol'), 'Mailbox'));
    const dave = mboxByShell(path.join(mb.home('dave'), 'Mailbox'));
    await waitFor('the mbox delivery counted', async () => (await hostFigures(mbHost.id)).messages === carol.messages + dave.messages);

    const total = shell.messages + bobShell.messages + carol.messages + dave.messages;
    const series = await waitFor('the stored samples', async () => {
      const f = await fleet('?since=3600&step=60');
      return f.fleet.at(-1)?.messages === total ? f : undefined;
    });
    expect(series.step).toBe(60);
    const host = await ctl.api('GET', `/api/stats/mailboxes/hosts/${mdHost.id}?since=3600&step=60`);
    expect(host.status).toBe(200);
    expect(host.body.series.at(-1)).toMatchObject({ messages: shell.messages + bobShell.messages });
    expect(host.body.latest.largest.map((m: { user: string }) => m.user)).toEqual(['bob', 'alice']);

    const metrics = await fetch(`${ctl.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.text());
    expect(metrics).toContain(`qfleet_mailbox_messages{host="maildir.example.net"} ${shell.messages + bobShell.messages}`);
    expect(metrics).toContain(`qfleet_mailbox_bytes{host="mbox.example.net"} ${carol.bytes + dave.bytes}`);
    expect(metrics).toContain('qfleet_mailboxes{host="maildir.example.net"} 2');
    expect(metrics).not.toMatch(/qfleet_mailbox\w*\{[^}]*user=/);
  });

  it('shows the fleet card (totals, the largest, the fullest) leading to the host\'s mailbox figures', async () => {
    if (db !== 'embedded') return; // the dashboard reads the same API on either database
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(ctl.url + '/');
      await page.getByTestId('signin-token').fill(ADMIN_TOKEN);
      await page.getByTestId('signin-submit').click();
      const f = await fleet();
      const messages = f.hosts.reduce((n: number, h: { messages: number }) => n + h.messages, 0);
      const total = page.getByTestId('mailboxes-total');
      await waitFor('the card to show the fleet total', async () => Number(await total.getAttribute('data-messages').catch(() => null)) === messages);
      const largest = page.getByTestId('largest-mailbox-row');
      expect(await largest.first().getAttribute('data-user')).toBe('dave');
      expect(await largest.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')))).toEqual(f.largest.map((m: { user: string }) => m.user));
      const quota = page.getByTestId('quota-row');
      expect(await quota.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')))).toEqual(['alice']);
      await quota.first().getByRole('link').click();
      await page.waitForURL(`**/hosts/${mdHost.id}/mailboxes`);
      const host = await hostFigures(mdHost.id);
      await waitFor("the host's mailbox figures", async () => Number(await page.getByTestId('host-mailbox-totals').getAttribute('data-messages').catch(() => null)) === host.messages);
    } finally {
      await browser.close();
    }
  });
});
