import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanQueue } from './scan';
import { QueueUnreadable } from './types';

// A hand-made queue, just enough files for the reader; test/support/queue-fixture.ts builds
// faithful ones for the end-to-end specs (test/queue/).
function makeQueue(split: number, bigTodo = false): string {
  const q = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-scan-'));
  for (const d of ['pid', 'bounce', 'lock', 'intd', 'todo']) fs.mkdirSync(path.join(q, d));
  for (const d of ['mess', 'info', 'local', 'remote'])
    for (let n = 0; n < split; n++) fs.mkdirSync(path.join(q, d, String(n)), { recursive: true });
  if (bigTodo) for (let n = 0; n < split; n++) fs.mkdirSync(path.join(q, 'todo', String(n)));
  return q;
}

function put(file: string, content: string, mtime?: Date) {
  fs.writeFileSync(file, Buffer.from(content, 'latin1'));
  if (mtime) fs.utimesSync(file, mtime, mtime);
}

describe('scanQueue', () => {
  let q: string;
  afterEach(() => fs.rmSync(q, { recursive: true, force: true }));

  it('reads info, local, remote, bounce and mess of each message', async () => {
    q = makeQueue(5);
    const queued = new Date('2024-03-14T09:12:44Z');
    const retry = new Date('2024-03-14T10:00:00Z');
    put(`${q}/mess/2/12`, 'x'.repeat(33));
    put(`${q}/info/2/12`, 'Falice@example.com\0', queued);
    put(`${q}/remote/2/12`, 'Tbob@example.org\0Dcarol@example.net\0', retry);
    put(`${q}/local/2/12`, 'Tjoe@nowhere.mil\0', retry);
    put(`${q}/bounce/12`, '<carol@example.net>:\nno such user\n\n');
    const scan = await scanQueue(q, { split: 5 });
    expect(scan.messages).toEqual([
      {
        id: 12,
        queuedAt: queued,
        size: 33,
        sender: 'alice@example.com',
        recipients: [
          { kind: 'local', address: 'joe@nowhere.mil', done: false },
          { kind: 'remote', address: 'bob@example.org', done: false },
          { kind: 'remote', address: 'carol@example.net', done: true },
        ],
        bouncing: true,
        nextRetryAt: { local: retry, remote: retry },
      },
    ]);
    expect(scan.counts).toEqual({ messages: 1, unprocessed: 0 });
    expect(scan.bytes).toBe(33);
    expect(scan.oldestQueuedAt).toEqual(queued);
  });

  it('counts todo messages without listing them, and leaves out messages whose mess is gone', async () => {
    q = makeQueue(3);
    put(`${q}/mess/1/4`, 'body');
    put(`${q}/todo/4`, 'u0\0p1\0Fa@b\0Tc@d\0');
    put(`${q}/info/2/5`, 'Fa@b\0'); // mess/2/5 already removed
    put(`${q}/info/0/junk`, 'not a message');
    const scan = await scanQueue(q, { split: 3 });
    expect(scan.messages).toEqual([]);
    expect(scan.counts).toEqual({ messages: 1, unprocessed: 1 });
    expect(scan.oldestQueuedAt).toBeUndefined();
  });

  it('counts the files of a big-todo queue, not its subdirectories', async () => {
    q = makeQueue(3, true);
    put(`${q}/mess/1/4`, 'body');
    put(`${q}/todo/1/4`, 'u0\0p1\0Fa@b\0Tc@d\0');
    expect((await scanQueue(q, { split: 3 })).counts).toEqual({ messages: 1, unprocessed: 1 });
  });

  it('names the directory when the queue cannot be read', async () => {
    q = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-scan-'));
    await expect(scanQueue(path.join(q, 'nope'))).rejects.toBeInstanceOf(QueueUnreadable);
    await expect(scanQueue(path.join(q, 'nope'))).rejects.toThrow(/nope\/(mess|todo|info)/);
  });
});
