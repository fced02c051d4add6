import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { SupervisedQmailSend } from '../support/supervise';
import { waitFor, type Proc } from '../support/processes';

/**
 * Every field kind of the document through controller → agent → disk, with the post-step
 * qmail needs for it (QMAIL.md §5): stand-ins record qmail-newu/qmail-newmrh calls, and a
 * stand-in qmail-send under Debian's real daemontools records HUPs and restarts.
 */
describe('every field of the document lands on disk with its post-step', () => {
  let ctl: TestController;
  let qmail: QmailTree;
  let qmailSend: SupervisedQmailSend;
  let agent: Proc;
  let hostId: string;
  let revision = 0;
  const doc: Record<string, unknown> = {};

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    qmail = new QmailTree();
    qmail.installStandIn('qmail-inject', `#!/bin/sh\n{ echo "ARGS: $*"; cat; echo "--END--"; } >> ${qmail.home}/bin/inject.log\n`);
    qmailSend = new SupervisedQmailSend();
    await waitFor('the stand-in qmail-send to start', () => qmailSend.events().includes('start'));
    const host = await ctl.createHost('fields.example.net');
    hostId = host.id;
    agent = await connectAgent(ctl, host, { qmailHome: qmail.home, args: ['--service', 'daemontools', '--service-dir', qmailSend.dir] });
  });
  afterAll(async () => {
    await agent?.stop();
    await qmailSend?.stop();
    await ctl?.stop();
    qmail?.remove();
  });

  /** PUTs the document with `change` merged in and waits until the agent acknowledged it. */
  async function apply(change: Record<string, unknown>): Promise<any> {
    Object.assign(doc, change);
    const put = await ctl.api('PUT', `/api/hosts/${hostId}/config`, doc);
    expect(put.status).toBe(200);
    revision = put.body.revision;
    return waitFor(`revision ${revision} acknowledged`, async () => {
      const h = await ctl.host(hostId);
      return h.lastApply?.revision === revision ? h : undefined;
    });
  }

  const events = () => qmailSend.events();

  it('locals and virtualdomains: written, then qmail-send gets a HUP', async () => {
    const before = events().length;
    const h = await apply({ locals: ['corp.example'], rcpthosts: ['corp.example', 'example.com'], virtualdomains: [{ match: 'example.com', prefix: 'example' }] });
    expect(h.lastApply).toMatchObject({ ok: true, skipped: [] });
    expect(qmail.read('control/locals')).toBe('corp.example\n');
    expect(qmail.read('control/virtualdomains')).toBe('example.com:example\n');
    expect(qmail.read('control/rcpthosts')).toBe('corp.example\nexample.com\n');
    await waitFor('the HUP', () => events().slice(before).includes('hup'));
    expect(events().slice(before)).toEqual(['hup']);
    expect(qmailSend.svstat()).toMatch(/: up \(pid \d+\)/);
  });

  it('smtproutes and badmailfrom: written, nothing to run (read per delivery / connection)', async () => {
    const before = events().length;
    const calls = qmail.calls().length;
    await apply({ smtproutes: [{ domain: '', relay: 'smarthost.example.net', port: 2525 }, { domain: 'inside.af.mil', relay: '' }], badmailfrom: ['@spam.example', 'Bad@Example.org'] });
    expect(qmail.read('control/smtproutes')).toBe(':smarthost.example.net:2525\ninside.af.mil:\n');
    expect(qmail.read('control/badmailfrom')).toBe('@spam.example\nbad@example.org\n');
    expect(events().length).toBe(before);
    expect(qmail.calls().length).toBe(calls);
  });

  it('morercpthosts: written, then qmail-newmrh builds its cdb', async () => {
    await apply({ morercpthosts: ['more1.example', 'more2.example'] });
    expect(qmail.read('control/morercpthosts')).toBe('more1.example\nmore2.example\n');
    expect(qmail.read('control/morercpthosts.cdb')).toBe('more1.example\nmore2.example\n');
    expect(qmail.calls().at(-1)).toBe('qmail-newmrh');
  });

  it('assignments: users/assign with its final dot, then qmail-newu', async () => {
    await apply({
      assignments: [
        { kind: 'exact', address: 'joe', user: 'joe', uid: 503, gid: 78, home: '/home/joe' },
        { kind: 'prefix', address: 'example.com-', user: 'example.com', uid: 89, gid: 89, home: '/home/vpopmail/domains/example.com', dash: '-' },
      ],
    });
    expect(qmail.read('users/assign')).toBe('=joe:joe:503:78:/home/joe:::\n+example.com-:example.com:89:89:/home/vpopmail/domains/example.com:-::\n.\n');
    expect(qmail.read('users/cdb')).toBe(qmail.read('users/assign'));
    expect(qmail.calls().at(-1)).toBe('qmail-newu');
  });

  it('aliases of every kind: one .qmail file each, and autoreply answers through the installed program', async () => {
    const before = events().length;
    await apply({
      aliases: [
        { name: 'sales', destinations: [{ kind: 'forward', value: 'team@corp.example' }, { kind: 'maildir', value: './Maildir/' }] },
        { name: 'info', domain: 'example.com', destinations: [{ kind: 'autoreply', autoreply: { subject: 'Thanks', body: 'We got it.\n', periodSec: 3600 } }, { kind: 'mbox', value: './Mailbox' }] },
        { name: 'john.doe', destinations: [{ kind: 'program', value: '/usr/local/bin/spamcheck' }] },
        { name: 'default', destinations: [{ kind: 'discard' }] },
      ],
    });
    expect(qmail.read('alias/.qmail-sales')).toBe('&team@corp.example\n./Maildir/\n');
    expect(qmail.read('alias/.qmail-example-info')).toBe('|qfleet/bin/qfleet-autoreply qfleet/example-info.autoreply\n./Mailbox\n');
    expect(JSON.parse(qmail.read('alias/qfleet/example-info.autoreply')!)).toEqual({ subject: 'Thanks', body: 'We got it.\n', periodSec: 3600 });
    expect(qmail.read('alias/.qmail-john:doe')).toBe('|/usr/local/bin/spamcheck\n');
    expect(qmail.read('alias/.qmail-default')).toBe('#\n');
    expect(events().length).toBe(before); // .qmail files need nothing (QMAIL.md §5)

    // qmail-local would run the line with sh -c in ~alias; do the same, twice.
    const line = qmail.read('alias/.qmail-example-info')!.split('\n')[0].slice(1);
    const deliver = () =>
      spawnSync('sh', ['-c', line], {
        cwd: path.join(qmail.home, 'alias'),
        input: 'From: Bob <bob@remote.example>\nTo: info@example.com\nSubject: hello\nMessage-ID: <m1@remote.example>\n\nhi\n',
        env: { PATH: process.env['PATH'], SENDER: 'bob@remote.example', RECIPIENT: 'example-info@example.com', LOCAL: 'example-info', HOST: 'example.com', USER: 'alias', HOME: path.join(qmail.home, 'alias') },
        encoding: 'utf8',
      });
    const first = deliver();
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    const injected = qmail.read('bin/inject.log')!;
    expect(injected).toContain('bob@remote.example');
    expect(injected).toMatch(/^Subject: Thanks$/m);
    expect(injected).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect(injected).toContain('We got it.');
    expect(deliver().status).toBe(0);
    expect(qmail.read('bin/inject.log')).toBe(injected); // one reply per sender per period
  });

  it('concurrencyremote and percenthack: qmail-send is restarted, not HUPped', async () => {
    const before = events().length;
    await apply({ concurrencyremote: 40, percenthack: ['percent.example'] });
    expect(qmail.read('control/concurrencyremote')).toBe('40\n');
    await waitFor('the restart', () => events().slice(before).includes('start'));
    expect(events().slice(before)).toEqual(['term', 'start']);
  });

  it('dropping an alias removes its file; morercpthosts null removes the file and its cdb', async () => {
    const aliases = (doc['aliases'] as { name: string }[]).filter((a) => a.name !== 'sales');
    await apply({ aliases, morercpthosts: null });
    expect(qmail.exists('alias/.qmail-sales')).toBe(false);
    expect(qmail.exists('alias/.qmail-default')).toBe(true);
    expect(qmail.exists('control/morercpthosts')).toBe(false);
    expect(qmail.exists('control/morercpthosts.cdb')).toBe(false);
  });

  it('an alias file written before aliases went unmanaged is removed when aliases are managed again without it', async () => {
    const managed = doc['aliases'] as { name: string }[];
    await apply({ aliases: [...managed, { name: 'leftover', destinations: [{ kind: 'forward', value: 'x@corp.example' }] }] });
    expect(qmail.exists('alias/.qmail-leftover')).toBe(true);

    delete doc['aliases'];
    const unmanaged = await apply({});
    expect(unmanaged.lastApply).toMatchObject({ ok: true, changed: [] });
    expect(qmail.exists('alias/.qmail-leftover')).toBe(true); // unmanaged: left as it is (Contract)

    const again = await apply({ aliases: managed });
    expect(again.lastApply).toMatchObject({ ok: true });
    expect(again.lastApply.changed).toContain('alias/.qmail-leftover');
    expect(qmail.exists('alias/.qmail-leftover')).toBe(false);
    expect(qmail.exists('alias/.qmail-default')).toBe(true);
  });

  it('a failing qmail-newu rolls the whole revision back', async () => {
    qmail.breakQmailNewu();
    const ignore = (s: Record<string, string>) =>
      Object.fromEntries(Object.entries(s).filter(([p]) => !p.startsWith('bin/') && !p.startsWith('alias/qfleet/track')));
    const before = ignore(qmail.snapshot());
    const h = await apply({
      locals: ['corp.example', 'new.example'],
      assignments: [{ kind: 'exact', address: 'ann', user: 'ann', uid: 600, gid: 600, home: '/home/ann' }],
      aliases: [{ name: 'new', destinations: [{ kind: 'forward', value: 'x@corp.example' }] }],
    });
    expect(h.lastApply).toMatchObject({ ok: false, error: { step: 'qmail-newu', file: 'users/assign' } });
    expect(h.lastApply.error.message).toContain('bad format in users/assign');
    expect(h.failedRevision).toBe(revision);
    expect(ignore(qmail.snapshot())).toEqual(before);
  });
});
