import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentRequest } from '@qfleet/protocol';
import { registerRequestHandlers, type Answer } from './register';
import { tempDir, testContext } from './test-support/messages';

/** The one socket.io-client method the wiring uses, recording the listeners it gets. */
function socketStandIn() {
  const listeners = new Map<string, (payload: unknown, ack?: (a: Answer<unknown>) => void) => void>();
  return {
    listeners,
    on: (event: string, fn: (payload: unknown, ack?: (a: Answer<unknown>) => void) => void) => listeners.set(event, fn),
    ask: (event: string, payload: unknown) => new Promise<Answer<unknown>>((resolve) => listeners.get(event)!(payload, resolve)),
  };
}

let root: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  root = await tempDir('qfleet-reg-');
});
afterEach(() => root.cleanup());

describe('registerRequestHandlers', () => {
  it('listens to every AgentRequest and answers through the acknowledgement', async () => {
    const socket = socketStandIn();
    registerRequestHandlers(socket as never, testContext(root.dir));
    expect([...socket.listeners.keys()].sort()).toEqual(Object.values(AgentRequest).sort());
    expect(await socket.ask(AgentRequest.queueFlush, undefined)).toEqual({ ok: true, result: { ran: [], skipped: ['qmail-tcpok', 'alrm'] } });
    expect(await socket.ask(AgentRequest.queueList, {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('answers invalid, naming the field, and ignores a request without an acknowledgement', async () => {
    const ctx = testContext(root.dir);
    const socket = socketStandIn();
    registerRequestHandlers(socket as never, ctx);
    expect(await socket.ask(AgentRequest.mailboxList, { user: '../etc' })).toEqual({ ok: false, error: { code: 'invalid', message: 'user: must be a mailbox id (a user, or user+ext)' } });
    socket.listeners.get(AgentRequest.mailboxUsers)!({});
    expect(ctx.lines).toEqual(['mailbox.users arrived without an acknowledgement callback; ignored']);
  });

  it('runs mailbox.delete through serialize, so it waits for a config apply in progress', async () => {
    await mkdir(join(root.dir, 'home/joe/Maildir/new'), { recursive: true });
    await writeFile(join(root.dir, 'passwd'), `joe:x:1001:1001::${join(root.dir, 'home/joe')}:/bin/sh\n`);
    // qmail-getpw delivers only to a home its user owns (QMAIL.md §2).
    execFileSync('chown', ['-R', '1001:1001', join(root.dir, 'home/joe')]);
    const ctx = testContext(root.dir);
    const order: string[] = [];
    let releaseApply!: () => void;
    const apply = new Promise<void>((r) => (releaseApply = r)).then(() => order.push('apply done'));
    ctx.serialize = (fn) => apply.then(() => (order.push('delete runs'), fn()));
    const socket = socketStandIn();
    registerRequestHandlers(socket as never, ctx);

    const answer = socket.ask(AgentRequest.mailboxDelete, { user: 'joe', ids: ['x'] });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    releaseApply();
    expect(await answer).toEqual({ ok: true, result: { deleted: [], missing: ['x'] } });
    expect(order).toEqual(['apply done', 'delete runs']);
  });
});
