import { TestController } from '../support/controller';
import { ConnectedHosts } from '../support/connected-hosts';
import { waitFor } from '../support/processes';

/** Drift (a managed file edited behind the agent's back) and import (adopting a server as it is). */
describe('drift and import', () => {
  let ctl: TestController;
  const hosts = new ConnectedHosts();

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
  });
  afterAll(async () => {
    await hosts.cleanUp();
    await ctl?.stop();
  });

  it('shows an edited file as drift within one report, then adopts it into the document', async () => {
    const { host, qmail } = await hosts.connect(ctl, 'drift-report.example.net', { config: { locals: ['a.example'], databytes: 1000 } });
    await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
    expect((await ctl.host(host.id)).drift).toEqual([]);

    qmail.write('control/locals', 'a.example\nedited.example\n');
    const drifted = await waitFor('drift on control/locals', async () => {
      const h = await ctl.host(host.id);
      return h.drift.length ? h : undefined;
    });
    expect(drifted.drift).toEqual(['control/locals']);
    // policy report: the edit stays
    expect(qmail.read('control/locals')).toBe('a.example\nedited.example\n');
    const plan = await ctl.api('GET', `/api/hosts/${host.id}/plan`);
    expect(plan.body.changes).toEqual([{ path: 'control/locals', action: 'modify' }]);

    const adopted = await ctl.api('POST', `/api/hosts/${host.id}/drift/adopt`);
    expect(adopted.status).toBe(200);
    expect(adopted.body).toEqual({ revision: 2, adopted: ['control/locals'] });
    const cfg = await ctl.api('GET', `/api/hosts/${host.id}/config`);
    expect(cfg.body.document).toEqual({ locals: ['a.example', 'edited.example'], databytes: 1000 });
    await waitFor('no drift after revision 2', async () => {
      const h = await ctl.host(host.id);
      return h.appliedRevision === 2 && h.drift.length === 0;
    });
  });

  it('shows no drift in the very answer where the applied revision moves, before any report of the files', async () => {
    const { host, qmail } = await hosts.connect(ctl, 'drift-ack.example.net', { config: { locals: ['a.example'], databytes: 1000 } });
    await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
    // A change to three files (one newly managed), read back in the first answer that shows it
    // applied: the ack stored the hashes of the files written, so drift and plan are right
    // without waiting for the agent's report of them.
    const put = await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['a.example', 'b.example'], rcpthosts: ['a.example', 'b.example'], databytes: 0 });
    expect(put.status).toBe(200);
    const applied = await waitFor('revision 2 applied', async () => {
      const h = await ctl.host(host.id);
      return h.appliedRevision === 2 ? h : undefined;
    });
    expect(applied.drift).toEqual([]);
    expect((await ctl.api('GET', `/api/hosts/${host.id}/plan`)).body.changes).toEqual([]);
    expect(qmail.read('control/rcpthosts')).toBe('a.example\nb.example\n');
    // And an edit after that is still seen as drift at the next report.
    qmail.write('control/rcpthosts', 'a.example\n');
    await waitFor('drift on control/rcpthosts', async () => ((await ctl.host(host.id)).drift as string[]).includes('control/rcpthosts'));
  });

  it('reverts drift on request, and at once under the enforce policy', async () => {
    const { host, qmail } = await hosts.connect(ctl, 'drift-enforce.example.net', { config: { locals: ['b.example'] } });
    await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);

    qmail.write('control/locals', 'hacked.example\n');
    await waitFor('drift', async () => (await ctl.host(host.id)).drift.length > 0);
    const reverted = await ctl.api('POST', `/api/hosts/${host.id}/drift/revert`);
    expect(reverted.status).toBe(200);
    await waitFor('the file restored', () => qmail.read('control/locals') === 'b.example\n');
    await waitFor('no drift', async () => (await ctl.host(host.id)).drift.length === 0);

    const policy = await ctl.api('PATCH', `/api/hosts/${host.id}`, { driftPolicy: 'enforce' });
    expect(policy.status).toBe(200);
    expect(policy.body.driftPolicy).toBe('enforce');
    qmail.write('control/locals', 'hacked-again.example\n');
    await waitFor('the enforce policy to restore the file', () => qmail.read('control/locals') === 'b.example\n');
    const audit = await ctl.api('GET', `/api/audit?target=host:${host.id}`);
    expect(audit.body.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['drift.revert', 'host.update']));
  });

  it('imports an existing server by qmail\'s reading rules, reporting what it cannot model', async () => {
    const qmail = hosts.tree();
    qmail.write('control/me', 'mx.old.example\n');
    qmail.write('control/locals', '# local domains\nlocalhost\nOld.Example\n\nold.example\n');
    qmail.write('control/rcpthosts', 'old.example\n.old.example\nvirt.example\n');
    qmail.write('control/databytes', ' 20000000\n'); // leading space: qmail treats it as missing
    qmail.write('control/timeoutsmtpd', '600   \n');
    qmail.write('control/virtualdomains', 'virt.example:virt\n');
    qmail.write('control/smtproutes', ':smarthost.example.net\ninside.af.mil:firewall.af.mil:26\n');
    qmail.write('control/servercert.pem', '-----BEGIN CERTIFICATE-----\n');
    qmail.write('users/assign', '+virt.example-:virt:89:89:/home/vpopmail/domains/virt.example:-::\n.\n');
    qmail.write('alias/.qmail-postmaster', '&admin@old.example\n');
    qmail.write('alias/.qmail-virt-sales', '&team@old.example\n./Maildir/\n');
    const { host } = await hosts.connect(ctl, 'import.example.net', { qmail });
    const before = qmail.snapshot();

    const dry = await ctl.api('POST', `/api/hosts/${host.id}/import`, { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.revision).toBeNull();
    const doc = dry.body.document;
    expect(doc.me).toBe('mx.old.example');
    expect(doc.locals).toEqual(['localhost', 'old.example']);
    expect(doc.databytes).toBeUndefined();
    expect(doc.timeoutsmtpd).toBe(600);
    expect(doc.virtualdomains).toEqual([{ match: 'virt.example', prefix: 'virt' }]);
    expect(doc.smtproutes).toEqual([
      { domain: '', relay: 'smarthost.example.net' },
      { domain: 'inside.af.mil', relay: 'firewall.af.mil', port: 26 },
    ]);
    expect(doc.assignments).toEqual([
      { kind: 'prefix', address: 'virt.example-', user: 'virt', uid: 89, gid: 89, home: '/home/vpopmail/domains/virt.example', dash: '-' },
    ]);
    expect(doc.aliases).toEqual(
      expect.arrayContaining([
        { name: 'postmaster', destinations: [{ kind: 'forward', value: 'admin@old.example' }] },
        { name: 'sales', domain: 'virt.example', destinations: [{ kind: 'forward', value: 'team@old.example' }, { kind: 'maildir', value: './Maildir/' }] },
      ]),
    );
    expect(dry.body.unmodelled.map((u: { path: string }) => u.path)).toContain('control/servercert.pem');
    expect(JSON.stringify(dry.body.notes)).toContain('control/databytes');

    const real = await ctl.api('POST', `/api/hosts/${host.id}/import`, {});
    expect(real.status).toBe(200);
    expect(real.body.revision).toBe(1);
    await waitFor('the imported revision applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
    const after = qmail.snapshot();
    // Same meaning: the host's bytes stay (issue 12); unmodelled files untouched.
    expect(after['control/servercert.pem']).toBe(before['control/servercert.pem']);
    expect(after['control/locals']).toBe(before['control/locals']);
    expect(after['control/databytes']).toBe(before['control/databytes']);
    expect(after['alias/.qmail-virt-sales']).toBe('&team@old.example\n./Maildir/\n');
  });
});
