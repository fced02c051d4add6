import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { runCli } from '../support/cli';
import { QmailTree } from '../support/qmail-tree';
import { makeMailHomes } from '../support/mail-scenario';
import type { Proc } from '../support/processes';

/**
 * What real qmail does, through the API (issue 12): an alias users/assign shadows is reported,
 * and the mailboxes listed are those that exist, Maildir and mbox side by side, ~alias
 * deliveries included, with the simple search beside the JSON one.
 */
describe('qmail fidelity through the API', () => {
  let ctl: TestController;
  let agent: Proc;
  const qmail = new QmailTree();
  const homes = makeMailHomes();
  let hostId: string;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    // ~alias belongs to the alias user (QMAIL.md §3); .qmail-sales delivers to a Maildir there.
    const alias = path.join(qmail.home, 'alias');
    for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(alias, 'Maildirs/sales', d), { recursive: true });
    fs.writeFileSync(path.join(alias, 'Maildirs/sales/new/1700000300.1.mx'), 'From: buyer@example.org\nTo: sales@example.com\nSubject: Quote request\n\nTen boxes.\n');
    qmail.write('alias/.qmail-sales', './Maildirs/sales/\n');
    execFileSync('chown', ['7790:7790', alias]);
    execFileSync('chown', ['-R', '7790:7790', path.join(alias, 'Maildirs')]);
    const host = await ctl.createHost('fidelity.example.net');
    hostId = host.id;
    agent = await connectAgent(ctl, host, { qmailHome: qmail.home, args: ['--passwd', homes.passwd] });
  });
  afterAll(async () => {
    await agent?.stop();
    await ctl?.stop();
    qmail.remove();
    homes.remove();
  });

  it('warns on PUT and PATCH about an alias a users/assign prefix claims, naming both', async () => {
    const other = await ctl.createHost('shadow.example.net');
    const doc = {
      locals: ['example.com'],
      rcpthosts: ['example.com', 'virt.example'],
      virtualdomains: [{ match: 'virt.example', prefix: 'vd' }],
      assignments: [{ kind: 'prefix', address: 'vd-', user: 'vd', uid: 3001, gid: 3001, home: '/home/vd', dash: '-' }],
      aliases: [{ name: 'deadx', domain: 'virt.example', destinations: [{ kind: 'forward', value: 'x@elsewhere.example' }] }],
    };
    const put = await ctl.api('PUT', `/api/hosts/${other.id}/config`, doc);
    expect(put.status).toBe(200);
    const expected = {
      path: 'aliases[0]',
      message: 'deadx@virt.example (delivered as vd-deadx) is claimed by users/assign assignments[0] (+vd-): qmail delivers it as user vd through /home/vd/.qmail-deadx and never reads ~alias/.qmail-vd-deadx',
    };
    expect(put.body.warnings).toContainEqual(expected);

    const patch = await ctl.api('PATCH', `/api/hosts/${other.id}/config`, { aliases: [...doc.aliases, { name: 'info', destinations: [{ kind: 'forward', value: 'y@elsewhere.example' }] }] });
    expect(patch.status).toBe(200);
    expect(patch.body.warnings).toContainEqual(expected);
    expect(patch.body.warnings.filter((w: { path: string }) => w.path.startsWith('aliases'))).toHaveLength(1);
  });

  it("has the agent name an alias file a passwd user of its host takes first (qmail-getpw)", async () => {
    const put = await ctl.api('PUT', `/api/hosts/${hostId}/config`, { aliases: [{ name: 'joe', destinations: [{ kind: 'forward', value: 'x@elsewhere.example' }] }] });
    expect(put.status).toBe(200);
    const line = await agent.waitForLine(/warning: alias\/\.qmail-joe is never read: passwd user joe takes joe first \(qmail-getpw\), through ([^\s"]+)/);
    expect(line[1]).toBe(path.join(homes.dir, 'joe', '.qmail'));
  });

  it('lists the mailboxes that exist, each with its format: a Maildir user, an mbox user, an ~alias delivery', async () => {
    const r = await ctl.api('GET', `/api/hosts/${hostId}/mailboxes`);
    expect(r.status).toBe(200);
    expect(r.body.users.map((u: { id: string; format: string; source: string; count: number }) => [u.id, u.format, u.source, u.count])).toEqual([
      ['alias+sales', 'maildir', 'alias', 1],
      ['ann', 'mbox', 'home', 1],
      ['joe', 'maildir', 'home', 2],
    ]);
    expect(r.body.users[0]).toMatchObject({ user: 'alias', dotQmail: '.qmail-sales', path: path.join(qmail.home, 'alias/Maildirs/sales') });
  });

  it('searches with the simple box (q) beside the JSON search, in any mailbox', async () => {
    const get = (mailbox: string, query: string) => ctl.api('GET', `/api/hosts/${hostId}/mailboxes/${encodeURIComponent(mailbox)}/messages?${query}`);
    expect((await get('joe', 'q=BOSS@')).body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Budget meeting']);
    expect((await get('joe', 'q=weekly')).body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Weekly news']);
    expect((await get('joe', 'q=ten.')).body.total).toBe(0); // the body is not searched by the box
    expect((await get('ann', 'q=holiday')).body.messages.map((m: { from: string }) => m.from)).toEqual(['carol@example.org']);
    expect((await get('alias+sales', 'q=quote')).body.total).toBe(1);

    const post = await ctl.api('POST', `/api/hosts/${hostId}/mailboxes/joe/search`, { q: 'subject: budget' });
    expect(post.status).toBe(200);
    expect(post.body.total).toBe(1);
    const both = await ctl.api('POST', `/api/hosts/${hostId}/mailboxes/joe/search`, { q: 'x', search: { criteria: [{ field: 'subject', op: 'contains', value: 'x' }] } });
    expect(both.status).toBe(400);
    expect((await get('nobody', 'q=x')).status).toBe(404);
  });

  it('does the same from the CLI', async () => {
    const list = await runCli(ctl.url, ['mailboxes', 'list', 'fidelity.example.net']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^ann\s+mbox\s+1\s/m);
    expect(list.stdout).toMatch(/^alias\+sales\s+Maildir\s+1\s/m);
    const found = await runCli(ctl.url, ['mailboxes', 'messages', 'fidelity.example.net', 'joe', '--find', 'budget']);
    expect(found).toMatchObject({ code: 0, stderr: '' });
    expect(found.stdout).toContain('Budget meeting');
    expect(found.stdout).not.toContain('Weekly news');
    expect(found.stdout).toMatch(/fidelity\.example\.net joe: 1 matching, page 1 of 1\n$/);
  });
});
