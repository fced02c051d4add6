import { spawnSync } from 'node:child_process';
import { TestController } from '../support/controller';
import { connectAgent, startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { SupervisedQmailSend } from '../support/supervise';
import { waitFor, type Proc } from '../support/processes';

/**
 * Start, stop, restart, reload and flush through controller → agent → Debian's real
 * daemontools (QMAIL.md §5, LWQ's qmailctl): the stand-in qmail-send under supervise logs the
 * signals it gets, and svstat is the referee for what the API says.
 */
describe('service actions through the controller', () => {
  let ctl: TestController;
  let qmail: QmailTree;
  let qmailSend: SupervisedQmailSend;
  let agent: Proc;
  let hostId: string;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    qmail = new QmailTree();
    qmail.installStandIn('qmail-tcpok', `#!/bin/sh\necho qmail-tcpok >> ${qmail.home}/bin/calls.log\n`);
    qmailSend = new SupervisedQmailSend();
    await waitFor('the stand-in qmail-send to start', () => qmailSend.events().includes('start'));
    const host = await ctl.createHost('actions.example.net');
    hostId = host.id;
    agent = await connectAgent(ctl, host, { qmailHome: qmail.home, args: ['--service', 'daemontools', '--service-dir', qmailSend.dir] });
  });
  afterAll(async () => {
    await agent?.stop();
    await qmailSend?.stop();
    await ctl?.stop();
    qmail?.remove();
  });

  const act = (action: string) => ctl.api('POST', `/api/hosts/${hostId}/actions`, { action });
  const svstatPid = () => Number(/: up \(pid (\d+)\)/.exec(qmailSend.svstat())?.[1] ?? NaN);
  const events = () => qmailSend.events();

  it('reports the state svstat shows', async () => {
    const r = await ctl.api('GET', `/api/hosts/${hostId}/service`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ running: true, pid: svstatPid(), since: expect.any(String), detail: expect.stringMatching(/qmail-send: up \(pid \d+\) \d+ seconds$/) });
    const seconds = Number(/(\d+) seconds/.exec(qmailSend.svstat())![1]);
    expect(Math.abs(Date.now() - seconds * 1000 - Date.parse(r.body.since))).toBeLessThan(2_000);
    // hello and every report carry the same: running and since (QmailStateSchema).
    const h = await waitFor('a report with since', async () => ((await ctl.host(hostId)).qmail?.since ? ctl.host(hostId) : undefined));
    expect(h.qmail).toEqual({ installed: true, running: true, since: r.body.since });
  });

  it('stop: answers once svstat says down, and the state says not running', async () => {
    const r = await act('stop');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ action: 'stop', ok: true, state: { running: false, pid: null }, steps: ['stop', expect.stringMatching(/^down after/)] });
    expect(qmailSend.svstat()).toMatch(/: down \d+ seconds, normally up$/);
    expect(events().at(-1)).toBe('term');
    expect((await ctl.api('GET', `/api/hosts/${hostId}/service`)).body).toMatchObject({ running: false, pid: null });
  });

  it('start: up again with the pid svstat shows', async () => {
    const r = await act('start');
    expect(r.status).toBe(200);
    expect(r.body.state.running).toBe(true);
    expect(r.body.state.pid).toBe(svstatPid());
    expect(events().at(-1)).toBe('start');
  });

  it('restart: qmail-send runs again under a new pid', async () => {
    const before = svstatPid();
    const r = await act('restart');
    expect(r.status).toBe(200);
    expect(r.body.steps[0]).toBe('restart');
    expect(r.body.state.pid).not.toBe(before);
    expect(r.body.state.pid).toBe(svstatPid());
    expect(events().slice(-2)).toEqual(['term', 'start']);
  });

  it('reload: a HUP, and the pid stays', async () => {
    const before = svstatPid();
    const r = await act('reload');
    expect(r.body).toMatchObject({ action: 'reload', ok: true, steps: ['hup'], state: { running: true, pid: before } });
    await waitFor('the HUP', () => events().at(-1) === 'hup');
  });

  it('flush: qmail-tcpok, then ALRM', async () => {
    const r = await act('flush');
    expect(r.body).toMatchObject({ action: 'flush', ok: true, steps: ['qmail-tcpok', 'alrm'] });
    await waitFor('the ALRM', () => events().at(-1) === 'alrm');
    expect(qmail.calls().at(-1)).toBe('qmail-tcpok');
  });

  it('refuses an unknown action with a 400 naming the field, and runs nothing', async () => {
    const before = events().length;
    const r = await act('rm -rf /');
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('action');
    expect((await ctl.api('POST', `/api/hosts/${hostId}/actions`, { action: 'stop', command: '/bin/sh' })).status).toBe(400);
    expect(events().length).toBe(before);
  });

  it('audits each action with its result', async () => {
    const audit = await ctl.api('GET', `/api/audit?target=host:${hostId}`);
    const actions = (audit.body as { action: string }[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['action.stop', 'action.start', 'action.restart', 'action.reload', 'action.flush']));
    const stop = (audit.body as { action: string; diff: any }[]).find((e) => e.action === 'action.stop')!;
    expect(stop.diff).toMatchObject({ action: 'stop', ok: true, state: { running: false } });
  });

  it('runs one action over a target of hosts, with per-host results and one audit entry', async () => {
    const offline = await ctl.createHost('offline.example.net');
    const r = await ctl.api('POST', '/api/actions', { target: { hosts: [hostId, offline.id] }, action: 'reload' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      action: 'reload',
      ok: 1,
      failed: 1,
      hosts: [
        { name: 'actions.example.net', ok: true, result: { steps: ['hup'] } },
        { name: 'offline.example.net', ok: false, error: 'not connected' },
      ],
    });
    const audit = await ctl.api('GET', '/api/audit?target=hosts:2');
    expect(audit.body).toHaveLength(1);
    expect(audit.body[0]).toMatchObject({ action: 'action.reload', diff: { hosts: [{ host: 'actions.example.net', ok: true }, { host: 'offline.example.net', ok: false }] } });
    expect((await ctl.api('POST', '/api/actions', { target: {}, action: 'reload' })).status).toBe(400);
  });

  it('says so when the host has no backend: 409', async () => {
    // svstat itself is the referee that nothing changed.
    const before = spawnSync('svstat', [qmailSend.dir], { encoding: 'utf8' }).stdout.replace(/\d+ seconds/, '');
    const bare = await ctl.createHost('bare.example.net');
    const bareQmail = new QmailTree();
    const bareAgent = startAgent({ controllerUrl: ctl.url, token: bare.enrollToken, qmailHome: bareQmail.home, name: 'bare-agent' }).proc;
    try {
      await waitFor('the bare agent to connect', async () => (await ctl.host(bare.id)).connected);
      const r = await ctl.api('POST', `/api/hosts/${bare.id}/actions`, { action: 'stop' });
      expect(r.status).toBe(409);
      expect(JSON.stringify(r.body)).toContain('no service backend');
      expect((await ctl.api('GET', `/api/hosts/${bare.id}/service`)).body).toEqual({ running: null, since: null, pid: null, detail: 'no service backend is configured' });
    } finally {
      await bareAgent.stop();
      bareQmail.remove();
    }
    expect(spawnSync('svstat', [qmailSend.dir], { encoding: 'utf8' }).stdout.replace(/\d+ seconds/, '')).toBe(before);
  });
});
