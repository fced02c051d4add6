import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ActionRequest } from '@qfleet/protocol';
import { waitFor } from '../apply/test-support/qmail-tree';
import { run } from '../post-steps/exec-file';
import { daemontoolsBackend } from '../post-steps/daemontools-backend';
import { noServiceBackend } from '../post-steps/service-backend';
import { tempDir, testContext } from '../requests/test-support/messages';
import { answerAction } from './register';

jest.setTimeout(30_000);

/** A stand-in qmail-send under the real supervise that logs "start <pid>", hup, alrm and term (QMAIL.md §5 signals). */
async function standIn(root: string) {
  const dir = join(root, 'service/qmail-send');
  const eventsFile = join(root, 'events');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'run'),
    `#!/bin/sh\ntrap 'echo hup >> ${eventsFile}' HUP\ntrap 'echo alrm >> ${eventsFile}' ALRM\ntrap 'echo term >> ${eventsFile}; exit 0' TERM\necho "start $$" >> ${eventsFile}\nwhile :; do sleep 1 & wait $!; done\n`,
  );
  await chmod(join(dir, 'run'), 0o755);
  const supervise = spawn('supervise', [dir], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => supervise.once('exit', () => r()));
  return {
    dir,
    events: async () => (await readFile(eventsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean),
    stop: async () => {
      await run('svc', ['-dx', dir]).catch(() => undefined);
      await exited;
    },
  };
}

let home: { dir: string; cleanup: () => Promise<void> };
let qmailSend: Awaited<ReturnType<typeof standIn>>;
let ctx: ReturnType<typeof testContext>;

beforeEach(async () => {
  home = await tempDir('qfleet-actions-');
  await mkdir(join(home.dir, 'bin'));
  qmailSend = await standIn(home.dir);
  ctx = testContext(home.dir, { service: daemontoolsBackend(qmailSend.dir) });
  await waitFor(async () => (await qmailSend.events()).some((e) => e.startsWith('start')), 'the qmail-send stand-in to start');
});
afterEach(async () => {
  await qmailSend.stop();
  await home.cleanup();
});

const act = (action: unknown) => answerAction(ctx, ActionRequest.run, { action });
const svstat = async () => (await run('svstat', [qmailSend.dir])).stdout.trim();
const startPids = async () => (await qmailSend.events()).filter((e) => e.startsWith('start ')).map((e) => Number(e.slice(6)));

describe('action.run through daemontools', () => {
  it('stop answers once svstat says down, with the state then', async () => {
    const answer = await act('stop');
    expect(answer).toMatchObject({ ok: true, result: { action: 'stop', ok: true, state: { running: false, pid: null }, steps: ['stop', expect.stringMatching(/^down after/)] } });
    expect(await svstat()).toMatch(/: down \d+ seconds, normally up$/);
    expect(await qmailSend.events()).toContain('term');
  });

  it('start brings it up and reports the pid svstat shows', async () => {
    await act('stop');
    const answer = await act('start');
    expect(answer.ok).toBe(true);
    const state = (answer as { result: { state: { running: boolean; pid: number; since: string } } }).result.state;
    expect(state.running).toBe(true);
    expect(await svstat()).toContain(`up (pid ${state.pid})`);
    expect((await startPids()).at(-1)).toBe(state.pid);
    expect(Date.now() - Date.parse(state.since)).toBeLessThan(10_000);
  });

  it('restart (svc -t) answers once supervise runs it under a new pid', async () => {
    const [firstPid] = await startPids();
    const answer = await act('restart');
    const result = (answer as { result: { state: { pid: number }; steps: string[] } }).result;
    expect(result.state.pid).not.toBe(firstPid);
    expect(result.steps[0]).toBe('restart');
    expect(await startPids()).toEqual([firstPid, result.state.pid]);
  });

  it('restart of a stopped qmail-send starts it', async () => {
    await act('stop');
    const answer = await act('restart');
    expect(answer).toMatchObject({ ok: true, result: { state: { running: true }, steps: ['was down', 'start', expect.stringMatching(/^up \(pid \d+\)/)] } });
  });

  it('reload sends a HUP and nothing else', async () => {
    expect(await act('reload')).toMatchObject({ ok: true, result: { steps: ['hup'], state: { running: true } } });
    await waitFor(async () => (await qmailSend.events()).includes('hup'), 'the HUP');
    expect(await startPids()).toHaveLength(1);
  });

  it('flush runs qmail-tcpok, then ALRM', async () => {
    await writeFile(join(home.dir, 'bin/qmail-tcpok'), `#!/bin/sh\necho tcpok >> ${home.dir}/events\n`, { mode: 0o755 });
    expect(await act('flush')).toMatchObject({ ok: true, result: { steps: ['qmail-tcpok', 'alrm'] } });
    await waitFor(async () => (await qmailSend.events()).includes('alrm'), 'the ALRM');
    expect((await qmailSend.events()).slice(1)).toEqual(['tcpok', 'alrm']);
  });

  it('flush without qmail-tcpok still sends ALRM and says what it skipped', async () => {
    expect(await act('flush')).toMatchObject({ ok: true, result: { steps: ['qmail-tcpok skipped (not installed)', 'alrm'] } });
  });

  it('refuses an action outside the fixed list, naming the field', async () => {
    expect(await act('rm -rf /')).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringContaining('action') } });
    expect(await answerAction(ctx, ActionRequest.run, { action: 'stop', command: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await startPids()).toHaveLength(1);
  });

  it('service.state says what svstat says', async () => {
    const before = Date.now();
    const answer = await answerAction(ctx, ActionRequest.serviceState, undefined);
    const line = await svstat();
    const after = Date.now();
    const [, pid, seconds] = /pid (\d+)\) (\d+) seconds/.exec(line)!.map(Number);
    expect(answer).toEqual({ ok: true, result: { running: true, pid, since: expect.any(String), detail: expect.stringMatching(/: up \(pid \d+\) \d+ seconds$/) } });
    const { since: sinceText, detail } = (answer as { result: { since: string; detail: string } }).result;
    // The agent's own svstat ran before ours: never more whole seconds than ours.
    const agentSeconds = Number(/(\d+) seconds$/.exec(detail)![1]);
    expect(agentSeconds).toBeLessThanOrEqual(seconds!);
    // Both svstats printed whole seconds since the start at moments between before and after
    // (the agent's start time is supervise's own, or its svstat's seconds back from its clock),
    // so the start lies in (before - (seconds + 1) s, after - agentSeconds s], however slow the machine.
    const since = Date.parse(sinceText);
    expect(since).toBeGreaterThan(before - (seconds! + 1) * 1000);
    expect(since).toBeLessThanOrEqual(after - agentSeconds * 1000);
  });

  it('fails with svc’s own words when supervise is not running', async () => {
    await qmailSend.stop();
    expect(await act('reload')).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('supervise not running') } });
  });
});

describe('without a service backend', () => {
  it('answers unavailable for every action, and an unknown state', async () => {
    const bare = testContext(home.dir, { service: noServiceBackend });
    for (const action of ['start', 'stop', 'restart', 'reload', 'flush']) {
      expect(await answerAction(bare, ActionRequest.run, { action })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    }
    expect(await answerAction(bare, ActionRequest.serviceState, {})).toEqual({ ok: true, result: { running: null, since: null, pid: null, detail: 'no service backend is configured' } });
  });
});
