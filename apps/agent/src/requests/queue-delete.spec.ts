import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentRequest, DELETE_IDS_MAX } from '@qfleet/protocol';
// The one queue writer, shared with the e2e tests and bench/: a test helper, not a project import.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { QueueFixture } from '../../../../test/support/queue-fixture';
import { waitFor } from '../apply/test-support/qmail-tree';
import { run } from '../post-steps/exec-file';
import { daemontoolsBackend, noServiceBackend, type ServiceBackend } from '../post-steps';
import { answerRequest } from './register';
import { deleteQueued, flushQueue } from './queue-delete';
import { qmailSendStandIn, type QmailSendStandIn } from './test-support/qmail-send-stand-in';
import { plainMessage, tempDir, testContext } from './test-support/messages';

jest.setTimeout(30_000);

let home: { dir: string; cleanup: () => Promise<void> };
let qmailSend: QmailSendStandIn;
let backend: ServiceBackend;

beforeEach(async () => {
  home = await tempDir('qfleet-qdel-');
  qmailSend = await qmailSendStandIn(home.dir);
  backend = daemontoolsBackend(qmailSend.dir);
  await waitFor(async () => (await qmailSend.events()).some((e) => e.startsWith('start')), 'the qmail-send stand-in to start');
});
afterEach(async () => {
  await qmailSend.stop();
  await home.cleanup();
});

const message = (subject: string) => ({
  sender: 'alice@example.com',
  recipients: [
    { kind: 'local' as const, address: 'joe@localhost', done: true },
    { kind: 'remote' as const, address: 'bob@example.org' },
  ],
  body: plainMessage({ from: 'alice@example.com', to: 'bob@example.org', subject }),
  bouncing: true,
});

/** Every file of a message, in both todo/intd forms; the ones that exist. */
const filesOf = (q: QueueFixture, id: number) =>
  [q.messPath(id), q.infoPath(id), q.localPath(id), q.remotePath(id), q.bouncePath(id), q.todoPath(id), q.intdPath(id)].filter((f) => existsSync(f));

describe('queue.delete', () => {
  it('stops qmail-send and waits until it is down, removes all seven kinds of files, then starts it again', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const doomed = queue.add(message('doomed'));
    // qmail-send has written info/local/remote but qmail-clean has not yet removed the envelope (QMAIL.md §4).
    await writeFile(queue.todoPath(doomed), 'u0\0p1\0Falice@example.com\0Tbob@example.org\0');
    await writeFile(queue.intdPath(doomed), 'u0\0p1\0Falice@example.com\0Tbob@example.org\0');
    expect(filesOf(queue, doomed)).toHaveLength(7);
    const kept = queue.add(message('kept'));
    const keptTodo = queue.addTodo({ sender: 'carol@example.net', recipients: ['dave@example.org'] });
    const before = [...filesOf(queue, kept), ...filesOf(queue, keptTodo)];
    await qmailSend.watch(queue.messPath(doomed));

    const result = await deleteQueued(testContext(home.dir, { service: backend }), { ids: [doomed, 999_999_999] });

    expect(result).toEqual({ deleted: [doomed], missing: [999_999_999], files: 7, qmailSend: ['stop', 'down', 'start', 'up'] });
    expect(filesOf(queue, doomed)).toEqual([]);
    expect([...filesOf(queue, kept), ...filesOf(queue, keptTodo)]).toEqual(before);
    // The stand-in saw the message while it ran, had exited before the files went, and started without them.
    await waitFor(async () => (await qmailSend.events()).length === 4, 'the second start to be logged');
    expect(await qmailSend.events()).toEqual(['start', 'term message-present', 'exit', 'start message-absent']);
    expect(await backend.isRunning()).toBe(true);
  });

  it('removes split todo and intd files with the big-todo patch', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'), { bigTodo: true });
    const id = queue.addTodo({ sender: 'carol@example.net', recipients: ['dave@example.org'] });
    expect(filesOf(queue, id)).toHaveLength(3);

    const result = await deleteQueued(testContext(home.dir, { service: backend }), { ids: [id] });
    expect(result).toMatchObject({ deleted: [id], files: 3 });
    expect(filesOf(queue, id)).toEqual([]);
  });

  it('answers 10,000 ids that are not in the queue without stopping qmail-send', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const kept = queue.add(message('kept'));
    const bogus = Array.from({ length: DELETE_IDS_MAX }, (_, i) => 2_000_000_000 + i).filter((id) => id !== kept);
    const answer = await answerRequest(testContext(home.dir, { service: backend }), AgentRequest.queueDelete, { ids: bogus });

    expect(answer).toEqual({ ok: true, result: { deleted: [], missing: bogus, files: 0, qmailSend: ['not stopped: none of the ids is in the queue'] } });
    expect((await qmailSend.events()).filter((e) => e.startsWith('term'))).toEqual([]);
    expect(filesOf(queue, kept)).toHaveLength(5);
  });

  it('stops qmail-send only for the ids that exist, and refuses more ids than the shared limit', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const doomed = queue.add(message('doomed'));
    const result = await deleteQueued(testContext(home.dir, { service: backend }), { ids: [doomed, 2_000_000_001] });
    expect(result).toMatchObject({ deleted: [doomed], missing: [2_000_000_001], qmailSend: ['stop', 'down', 'start', 'up'] });

    const tooMany = await answerRequest(testContext(home.dir, { service: backend }), AgentRequest.queueDelete, { ids: Array.from({ length: DELETE_IDS_MAX + 1 }, (_, i) => i + 1) });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!tooMany.ok && tooMany.error.message).toContain('ids');
  });

  it('refuses without a service backend, and deletes nothing', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const id = queue.add(message('stays'));
    expect(await answerRequest(testContext(home.dir, { service: noServiceBackend }), AgentRequest.queueDelete, { ids: [id] })).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'deleting queued messages needs qmail-send stopped: configure --service' },
    });
    expect(filesOf(queue, id)).toHaveLength(5);
  });

  it('leaves a qmail-send that was already down, down', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const id = queue.add(message('gone'));
    await run('svc', ['-d', qmailSend.dir]);
    await backend.waitFor('down', 10_000);

    const result = await deleteQueued(testContext(home.dir, { service: backend }), { ids: [id] });
    expect(result.qmailSend).toEqual(['was down', 'left down']);
    expect(await backend.isRunning()).toBe(false);
  });

  it('deletes nothing and asks qmail-send to run again when it does not stop in time', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const id = queue.add(message('stays'));
    const answer = await answerRequest(testContext(home.dir, { service: backend, serviceTimeoutMs: 100 }), AgentRequest.queueDelete, { ids: [id] });
    expect(answer).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(!answer.ok && answer.error.message).toMatch(/^qmail-send did not stop, nothing was deleted \(.* is not down after 0 s/);
    expect(filesOf(queue, id)).toHaveLength(5);
    // The stand-in finishes its TERM, then supervise starts it again (svc -u).
    await waitFor(async () => (await qmailSend.events()).filter((e) => e.startsWith('start')).length === 2, 'qmail-send to be started again');
  });

  it('reports a failed start in the answer: the files are gone either way', async () => {
    const queue = new QueueFixture(join(home.dir, 'queue'));
    const id = queue.add(message('gone'));
    // An svc that passes everything to the real one except -u, which fails as svc does (a warning, exit 0).
    const svc = join(home.dir, 'svc-no-start');
    await writeFile(svc, `#!/bin/sh\nif [ "$1" = -u ]; then echo "svc: warning: unable to control $2: refused" >&2; exit 0; fi\nexec svc "$@"\n`);
    await chmod(svc, 0o755);
    const stubborn = daemontoolsBackend(qmailSend.dir, { svc, svstat: 'svstat' });

    const result = await deleteQueued(testContext(home.dir, { service: stubborn }), { ids: [id] });
    expect(result.deleted).toEqual([id]);
    expect(result.qmailSend).toEqual(['stop', 'down', `start failed: svc: warning: unable to control ${qmailSend.dir}: refused`]);
    expect(filesOf(queue, id)).toEqual([]);
    await run('svc', ['-u', qmailSend.dir]);
  });
});

describe('queue.flush', () => {
  it('runs qmail-tcpok, then sends ALRM through the backend', async () => {
    new QueueFixture(join(home.dir, 'queue'));
    await mkdir(join(home.dir, 'bin'));
    await writeFile(join(home.dir, 'bin/qmail-tcpok'), `#!/bin/sh\ntouch '${join(home.dir, 'tcpok-ran')}'\n`);
    await chmod(join(home.dir, 'bin/qmail-tcpok'), 0o755);

    expect(await flushQueue(testContext(home.dir, { service: backend }))).toEqual({ ran: ['qmail-tcpok', 'alrm'], skipped: [] });
    expect(existsSync(join(home.dir, 'tcpok-ran'))).toBe(true);
    await waitFor(async () => (await qmailSend.events()).includes('alrm'), 'the ALRM to arrive');
  });

  it('skips what is not there: no qmail-tcpok, no backend', async () => {
    expect(await flushQueue(testContext(home.dir))).toEqual({ ran: [], skipped: ['qmail-tcpok', 'alrm'] });
  });
});
