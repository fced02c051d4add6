import fs from 'node:fs';
import path from 'node:path';
import { TestController } from '../support/controller';
import { ConnectedHosts } from '../support/connected-hosts';
import type { QmailTree } from '../support/qmail-tree';
import { InitScriptQmailSend } from '../support/init-script';
import { testDatabases } from '../support/databases';
import { digestDifference, digestTrees } from '../support/tree-digest';
import { waitFor } from '../support/processes';

/**
 * Issue 12, point 3: importing a hand-written LWQ server changes nothing on it and restarts
 * nothing. Files whose meaning the document reproduces keep their bytes (comments, case,
 * `&`-less forwards, a final newline missing), the mailer-daemon link stays a link, and only
 * a later change of one field rewrites that one file (with its post-step).
 */
describe.each(testDatabases())('import of a hand-written server on the %s database', (db) => {
  let ctl: TestController;
  let qmail: QmailTree;
  let qmailSend: InitScriptQmailSend;
  const hosts = new ConnectedHosts();

  beforeAll(async () => {
    ctl = await TestController.start(db);
    qmailSend = new InitScriptQmailSend();
    qmail = hosts.tree();
    qmail.write('control/me', 'mail.example.com\n');
    qmail.write('control/locals', '# LWQ: hosts this machine delivers for\nlocalhost\nMail.Example.COM\n\nexample.com\n');
    qmail.write('control/rcpthosts', 'localhost\nmail.example.com\nexample.com\n# virtual\nexample.org\n');
    qmail.write('control/concurrencyremote', '255\n# raised for the ISP relay\n');
    qmail.write('control/queuelifetime', '259200');
    qmail.write('control/virtualdomains', '# virtual domains\nExample.ORG:example\n');
    qmail.write('control/defaultdelivery', './Maildir/\n');
    qmail.write('users/assign', '=joe:joe:1001:1001:/home/joe:::\n.\n');
    qmail.write('alias/.qmail-postmaster', '# the admin\ndave\n');
    qmail.write('alias/.qmail-root', 'dave\n');
    qmail.write('alias/.qmail-example-sales', '&sales@elsewhere.example\n');
    fs.symlinkSync('.qmail-postmaster', path.join(qmail.home, 'alias/.qmail-mailer-daemon'));
  });
  afterAll(async () => {
    await hosts.cleanUp();
    await ctl?.stop();
    qmailSend?.stop();
  });

  it('the dry run names every file a later change would rewrite, and why, and the link as unmodelled', async () => {
    const { host } = await hosts.connect(ctl, `lwq-${db}.example.net`, { qmail, args: qmailSend.agentArgs });
    const before = digestTrees({ qmail: qmail.home });

    const dry = await ctl.api('POST', `/api/hosts/${host.id}/import`, { dryRun: true });
    expect(dry.status).toBe(200);
    const files = Object.fromEntries(dry.body.files.map((f: { path: string; action: string; reason: string }) => [f.path, f]));
    // Nothing would be written by the import itself: each file differing from qfleet's form is kept.
    expect(dry.body.files.filter((f: { action: string }) => f.action !== 'keep')).toEqual([]);
    expect(files['control/locals'].reason).toMatch(/^rewrite: .*comments would be dropped.*case would change/);
    expect(files['control/concurrencyremote'].reason).toContain('lines after the first');
    expect(files['control/queuelifetime'].reason).toBe('rewrite: a final newline would be added');
    expect(files['control/virtualdomains'].reason).toMatch(/comments would be dropped.*case would change/);
    expect(files['alias/.qmail-postmaster'].reason).toMatch(/comments would be dropped.*'&' would be added/);
    expect(files['alias/.qmail-root'].reason).toContain("'&' would be added");
    // Already exactly qfleet's form: not listed.
    expect(files['control/me']).toBeUndefined();
    expect(files['alias/.qmail-example-sales']).toBeUndefined();
    expect(dry.body.unmodelled).toEqual(
      expect.arrayContaining([{ path: 'alias/.qmail-mailer-daemon', reason: 'a symbolic link to .qmail-postmaster: qmail follows it; qfleet leaves links as they are' }]),
    );
    expect(dry.body.document.aliases.map((a: { name: string }) => a.name).sort()).toEqual(['postmaster', 'root', 'sales']);
    expect(digestDifference(before, digestTrees({ qmail: qmail.home }))).toEqual([]);
  });

  it('the import applies without changing a byte or running a post-step; one field changed later rewrites only its file', async () => {
    const host = (await ctl.api('GET', '/api/hosts')).body.find((h: { name: string }) => h.name === `lwq-${db}.example.net`);
    const before = digestTrees({ qmail: qmail.home });
    const events = qmailSend.events().length;

    const real = await ctl.api('POST', `/api/hosts/${host.id}/import`, {});
    expect(real.status).toBe(200);
    const revision = real.body.revision;
    const applied = await waitFor('the imported revision applied and reported', async () => {
      const h = await ctl.host(host.id);
      return h.appliedRevision === revision && h.lastApply ? h : undefined;
    });
    expect(applied.lastApply).toMatchObject({ ok: true, changed: [], skipped: [] });
    expect(digestDifference(before, digestTrees({ qmail: qmail.home }))).toEqual([]);
    expect(qmail.calls()).toEqual([]); // no qmail-newu, no qmail-newmrh
    expect(qmailSend.events().slice(events)).toEqual([]); // no HUP, no restart
    expect(fs.lstatSync(path.join(qmail.home, 'alias/.qmail-mailer-daemon')).isSymbolicLink()).toBe(true);
    // The kept bytes are in sync, not drift.
    await waitFor('a report after the apply', async () => {
      const h = await ctl.host(host.id);
      return h.drift.length === 0 && h.lastSeen > applied.lastSeen;
    });

    const patched = await ctl.api('PATCH', `/api/hosts/${host.id}/config`, { concurrencyremote: 100 });
    expect(patched.status).toBe(200);
    await waitFor('the change applied', async () => (await ctl.host(host.id)).appliedRevision === patched.body.revision);
    const h = await ctl.host(host.id);
    expect(h.lastApply).toMatchObject({ ok: true, changed: ['control/concurrencyremote'] });
    const after = digestTrees({ qmail: qmail.home });
    expect(digestDifference(before, after).map((d) => d.split(':')[1])).toEqual(['control/concurrencyremote']);
    expect(qmail.read('control/concurrencyremote')).toBe('100\n');
    expect(qmail.read('control/locals')).toBe('# LWQ: hosts this machine delivers for\nlocalhost\nMail.Example.COM\n\nexample.com\n');
    expect(qmail.calls()).toEqual([]);
    // concurrencyremote needs a qmail-send restart (QMAIL.md §5): that one, nothing else.
    expect(qmailSend.events().slice(events)).toEqual(['stop', 'start']);
  });
});
