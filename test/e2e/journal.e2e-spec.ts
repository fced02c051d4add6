import { TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { waitFor } from '../support/processes';

/** All-or-nothing applies (DESIGN.md "The agent: applying safely"), with real processes. */
describe('the agent applies a revision all or nothing', () => {
  let ctl: TestController;
  const trees: QmailTree[] = [];

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
  });
  afterAll(async () => {
    await ctl?.stop();
    trees.forEach((t) => t.remove());
  });

  const withoutCallLog = (snap: Record<string, string>) => {
    const { ['bin/calls.log']: _ignored, ...rest } = snap;
    return rest;
  };

  it('keeps every file as it was when a post-step fails, and reports the failure', async () => {
    const qmail = new QmailTree();
    trees.push(qmail);
    const host = await ctl.createHost('journal-poststep.example.net');
    await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['a.example'], rcpthosts: ['a.example'], morercpthosts: ['m1.example'] });
    const agent = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: qmail.home });
    try {
      await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
      expect(qmail.read('control/morercpthosts.cdb')).toBe('m1.example\n');
      expect(qmail.calls()).toEqual(['qmail-newmrh']);

      qmail.installStandIn('qmail-newmrh', '#!/bin/sh\necho qmail-newmrh >> bin/calls.log\necho "qmail-newmrh: fatal: unable to write morercpthosts.tmp" >&2\nexit 111\n');
      const before = withoutCallLog(qmail.snapshot());
      const put = await ctl.api('PUT', `/api/hosts/${host.id}/config`, {
        locals: ['a.example', 'b.example'],
        rcpthosts: ['a.example', 'b.example'],
        morercpthosts: ['m1.example', 'm2.example'],
        databytes: 5000000,
      });
      expect(put.body.revision).toBe(2);
      const view = await waitFor('revision 2 to fail', async () => {
        const h = await ctl.host(host.id);
        return h.failedRevision === 2 ? h : undefined;
      });
      expect(view.appliedRevision).toBe(1);
      expect(view.lastApply).toMatchObject({ ok: false, revision: 2, error: { step: 'qmail-newmrh', message: expect.stringContaining('unable to write') } });
      expect(qmail.calls()).toEqual(['qmail-newmrh', 'qmail-newmrh']);
      expect(withoutCallLog(qmail.snapshot())).toEqual(before);

      // A failed revision is not resent by itself: reports come and go, nothing is retried.
      const seen = new Date(view.lastSeen).getTime();
      await waitFor('two more reports', async () => new Date((await ctl.host(host.id)).lastSeen).getTime() >= seen + 2000);
      expect(qmail.calls()).toHaveLength(2);
      expect((await ctl.host(host.id)).failedRevision).toBe(2);
    } finally {
      await agent.proc.stop();
    }
  });

  it('rolls back an apply that was killed between two renames, then converges', async () => {
    const qmail = new QmailTree();
    trees.push(qmail);
    const host = await ctl.createHost('journal-crash.example.net');
    await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['a.example'], databytes: 1000, timeoutsmtpd: 600 });
    const first = startAgent({ controllerUrl: ctl.url, token: host.enrollToken, qmailHome: qmail.home });
    await waitFor('revision 1 applied', async () => (await ctl.host(host.id)).appliedRevision === 1);
    await first.proc.stop();
    const revision1 = withoutCallLog(qmail.snapshot());

    await ctl.api('PUT', `/api/hosts/${host.id}/config`, { locals: ['a.example', 'b.example'], databytes: 2000, timeoutsmtpd: 900 });
    const crashing = startAgent({ controllerUrl: ctl.url, qmailHome: qmail.home, stateDir: first.stateDir, env: { QFLEET_AGENT_FAULT: 'crash-after-rename:1' }, name: 'crashing-agent' });
    const exit = await crashing.proc.exited;
    expect(exit.signal).toBe('SIGKILL');
    const halfDone = withoutCallLog(qmail.snapshot());
    expect(halfDone).not.toEqual(revision1); // one file was renamed into place before the crash

    // Restarted where it cannot reach the controller: it only recovers the journal.
    const recovering = startAgent({ controllerUrl: 'http://127.0.0.1:9', qmailHome: qmail.home, stateDir: first.stateDir, name: 'recovering-agent' });
    await recovering.proc.waitForLine(/interrupted apply/);
    await recovering.proc.stop();
    expect(withoutCallLog(qmail.snapshot())).toEqual(revision1);

    const last = startAgent({ controllerUrl: ctl.url, qmailHome: qmail.home, stateDir: first.stateDir });
    try {
      await waitFor('revision 2 applied', async () => (await ctl.host(host.id)).appliedRevision === 2);
      expect(qmail.read('control/locals')).toBe('a.example\nb.example\n');
      expect(qmail.read('control/databytes')).toBe('2000\n');
      expect(qmail.read('control/timeoutsmtpd')).toBe('900\n');
      expect(Object.keys(qmail.snapshot()).filter((p) => p.includes('qfleet-tmp'))).toEqual([]);
    } finally {
      await last.proc.stop();
    }
  });
});
