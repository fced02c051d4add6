import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { installProgram, makeQmailTree, newuThatFails, newuThatWorks, waitFor, type QmailTree } from '../apply/test-support/qmail-tree';
import { superviseStandIn } from '../apply/test-support/supervise';
import { qmailSendStandIn } from '../requests/test-support/qmail-send-stand-in';
import { run } from './exec-file';
import { createPostStepRunner, daemontoolsBackend, noServiceBackend, type ServiceBackend } from '.';

let tree: QmailTree;
let lines: string[];
const log = (line: string) => lines.push(line);

beforeEach(async () => {
  lines = [];
  tree = await makeQmailTree({ 'users/assign': '=joe:joe:503:78:/home/joe:::\n.\n' });
});
afterEach(() => tree.cleanup());

describe('qmail-newu and qmail-newmrh', () => {
  it('runs <qmail-home>/bin/qmail-newu with the qmail home as its directory', async () => {
    await installProgram(tree.home, 'qmail-newu', `pwd > "$(dirname "$0")/../cwd"; ${newuThatWorks}`);
    const runner = createPostStepRunner({ qmailHome: tree.home, log });

    expect(await runner.run('qmail-newu')).toBe('ran');
    expect((await tree.read('cwd')).trim()).toBe(tree.home);
    expect(await tree.read('users/cdb')).toContain('=joe:joe');
  });

  it('fails with the exit code and qmail-newu’s own message', async () => {
    await installProgram(tree.home, 'qmail-newu', newuThatFails);
    await expect(createPostStepRunner({ qmailHome: tree.home, log }).run('qmail-newu')).rejects.toThrow(
      'qmail-newu exited with code 111: qmail-newu: fatal: bad format in users/assign',
    );
  });

  it('fails naming the path when the program is not installed', async () => {
    await expect(createPostStepRunner({ qmailHome: tree.home, log }).run('qmail-newmrh')).rejects.toThrow(
      `qmail-newmrh is not installed at ${join(tree.home, 'bin/qmail-newmrh')}`,
    );
  });

  it('fails when the program is not executable', async () => {
    await installProgram(tree.home, 'qmail-newu', newuThatWorks);
    await chmod(join(tree.home, 'bin/qmail-newu'), 0o644);
    // root may execute nothing without an x bit either, so this holds for every user.
    await expect(createPostStepRunner({ qmailHome: tree.home, log }).run('qmail-newu')).rejects.toThrow('is not executable');
  });
});

describe('hup and restart', () => {
  it('are skipped with no service backend configured', async () => {
    const runner = createPostStepRunner({ qmailHome: tree.home, service: noServiceBackend, log });
    expect(await runner.run('hup')).toBe('skipped');
    expect(await runner.run('restart')).toBe('skipped');
    expect(lines).toEqual(['post-step hup skipped: no service backend configured', 'post-step restart skipped: no service backend configured']);
  });
});

describe('daemontoolsBackend', () => {
  let service: Awaited<ReturnType<typeof superviseStandIn>>;
  let backend: ServiceBackend;

  beforeEach(async () => {
    service = await superviseStandIn(tree.root);
    backend = daemontoolsBackend(service.dir);
    await waitFor(async () => (await service.events()).some((e) => e.startsWith('start')), 'qmail-send stand-in to start');
  });
  afterEach(() => service.stop());

  it('sees qmail-send up through svstat and sends HUP with svc -h', async () => {
    expect(await backend.isRunning()).toBe(true);
    const runner = createPostStepRunner({ qmailHome: tree.home, service: backend, log });

    expect(await runner.run('hup')).toBe('ran');
    await waitFor(async () => (await service.events()).includes('hup'), 'the HUP to arrive');
  });

  it('restarts qmail-send with svc -t (supervise starts it again)', async () => {
    const runner = createPostStepRunner({ qmailHome: tree.home, service: backend, log });
    expect(await runner.run('restart')).toBe('ran');
    await waitFor(async () => (await service.events()).filter((e) => e.startsWith('start')).length === 2, 'the second start');
  });

  it('skips HUP when qmail-send is down', async () => {
    await run('svc', ['-d', service.dir]);
    await waitFor(async () => (await backend.isRunning()) === false, 'qmail-send to be down');
    const runner = createPostStepRunner({ qmailHome: tree.home, service: backend, log });
    expect(await runner.run('hup')).toBe('skipped');
    expect(lines.join('\n')).toContain('qmail-send is not running');
  });

  it('fails the step when supervise is not running', async () => {
    await service.stop();
    expect(await backend.isRunning()).toBe(false);
    await expect(backend.signal('hup')).rejects.toThrow('supervise not running');
  });
});

describe('daemontoolsBackend control and waitFor', () => {
  let service: Awaited<ReturnType<typeof qmailSendStandIn>>;
  let backend: ServiceBackend;

  beforeEach(async () => {
    service = await qmailSendStandIn(tree.root);
    backend = daemontoolsBackend(service.dir);
    // Its logged start first: until the spawned supervise has made its control files, svstat
    // says "supervise not running" (which waitFor reports at once); and svstat says up once
    // supervise has forked, a moment before the run script logs its start.
    await waitFor(async () => (await service.events()).includes('start'), 'the stand-in to log its start');
    await backend.waitFor('up', 10_000);
  });
  afterEach(() => service.stop());

  it('stops with svc -d, and waitFor("down") returns only once qmail-send has exited', async () => {
    await backend.control('stop');
    await backend.waitFor('down', 10_000);
    // The stand-in takes a second after TERM, as qmail-send finishes its deliveries (QMAIL.md §5).
    expect(await service.events()).toEqual(['start', 'term', 'exit']);
    expect(await backend.isRunning()).toBe(false);
  });

  it('starts again with svc -u', async () => {
    await backend.control('stop');
    await backend.waitFor('down', 10_000);
    await backend.control('start');
    await backend.waitFor('up', 10_000);
    await waitFor(async () => (await service.events()).length === 4, 'the second start to be logged');
    expect(await service.events()).toEqual(['start', 'term', 'exit', 'start']);
  }, 15_000);

  it('sends ALRM with svc -a', async () => {
    await backend.control('alrm');
    await waitFor(async () => (await service.events()).includes('alrm'), 'the ALRM to arrive');
    expect(await backend.isRunning()).toBe(true);
  });

  it('gives up waiting after the timeout, saying what svstat showed', async () => {
    await backend.control('stop');
    await expect(backend.waitFor('down', 100)).rejects.toThrow(/is not down after 0 s \(svstat: up \(pid \d+\) \d+ seconds/);
  });

  it('fails when supervise is not running', async () => {
    await service.stop();
    await expect(backend.control('start')).rejects.toThrow('supervise not running');
    await expect(backend.waitFor('up', 1000)).rejects.toThrow('supervise not running');
  });
});

describe('noServiceBackend', () => {
  it('refuses control and waitFor', async () => {
    await expect(noServiceBackend.control('stop')).rejects.toThrow('no service backend is configured');
    await expect(noServiceBackend.waitFor('down', 10)).rejects.toThrow('no service backend is configured');
  });
});
