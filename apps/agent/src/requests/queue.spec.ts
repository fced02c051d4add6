import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentRequest, BODY_PREVIEW_BYTES, CHUNK_MAX_BYTES } from '@qfleet/protocol';
// The one queue writer, shared with the e2e tests and bench/: a test helper, not a project import.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { QueueFixture } from '../../../../test/support/queue-fixture';
import { answerRequest } from './register';
import { findQueue, listQueue, queueChunk, readQueueMessage } from './queue';
import { messageWithAttachment, plainMessage, tempDir, testContext } from './test-support/messages';

let home: { dir: string; cleanup: () => Promise<void> };
let queue: QueueFixture;
let ids: { alice: number; bob: number; carol: number };
const attachment = randomBytes(600_000);

beforeEach(async () => {
  home = await tempDir('qfleet-queue-');
  queue = new QueueFixture(join(home.dir, 'queue'));
  ids = {
    alice: queue.add({
      sender: 'alice@example.com',
      recipients: [{ kind: 'remote', address: 'bob@Example.ORG' }],
      body: plainMessage({ from: 'alice@example.com', to: 'bob@example.org', subject: 'Quarterly report' }),
      queuedAt: new Date('2024-03-14T09:00:00Z'),
    }),
    bob: queue.add({
      sender: 'Bob@Example.net',
      recipients: [
        { kind: 'local', address: 'joe@localhost', done: true },
        { kind: 'remote', address: 'carol@example.net' },
      ],
      body: messageWithAttachment({ from: 'bob@example.net', to: 'carol@example.net', subject: 'Photos', text: 'See attached.', filename: 'photo.bin', content: attachment }),
      queuedAt: new Date('2024-03-15T09:00:00Z'),
      bouncing: true,
    }),
    carol: queue.add({
      sender: '',
      recipients: [{ kind: 'remote', address: 'alice@example.com' }],
      body: plainMessage({ from: 'MAILER-DAEMON@example.net', to: 'alice@example.com', subject: 'failure notice', body: 'x'.repeat(2000) }),
      queuedAt: new Date('2024-03-13T09:00:00Z'),
    }),
  };
});
afterEach(() => home.cleanup());

const list = (over: object = {}) => listQueue(testContext(home.dir), { page: 1, perPage: 20, sort: 'date', order: 'desc', ...over });

describe('queue.list', () => {
  it('lists newest first by default, with the envelope as qmail-qread shows it', async () => {
    const r = await list();
    expect(r.total).toBe(3);
    expect(r.messages.map((m) => m.id)).toEqual([ids.bob, ids.alice, ids.carol]);
    const bob = r.messages[0];
    expect(bob).toMatchObject({ sender: 'Bob@Example.net', bouncing: true, queuedAt: '2024-03-15T09:00:00.000Z' });
    expect(bob.recipients).toEqual([
      { kind: 'local', address: 'joe@localhost', done: true },
      { kind: 'remote', address: 'carol@example.net', done: false },
    ]);
    // The remote mtime is the birth (qmail-send has not exited since): the retry is qmail-send's
    // schedule, birth + n² with n a multiple of 20, and after the moment of the listing.
    const before = Date.now();
    const retry = Date.parse((await list()).messages[0]!.nextRetryAt.remote!);
    const n = Math.sqrt((retry - Date.parse(bob.queuedAt)) / 1000);
    expect(Number.isInteger(n) && n % 20 === 0).toBe(true);
    expect(retry).toBeGreaterThan(before);
  });

  it('shows the retry time qmail-send wrote on exit while it is still ahead', async () => {
    const queuedAt = new Date(Date.now() - 1000_000);
    const written = new Date(Date.now() + 3600_000);
    const id = queue.add({
      sender: 'dave@example.com',
      recipients: [{ kind: 'remote', address: 'x@example.org' }, { kind: 'local', address: 'joe@localhost' }],
      body: plainMessage({ from: 'dave@example.com', to: 'x@example.org', subject: 'later' }),
      queuedAt,
      nextRetry: { remote: written, local: queuedAt },
    });
    const m = (await list()).messages.find((x) => x.id === id)!;
    expect(Math.abs(Date.parse(m.nextRetryAt.remote!) - written.getTime())).toBeLessThan(1000);
    // The local file still has the birth as its mtime: the local schedule (multiples of 10) applies.
    const n = Math.sqrt((Date.parse(m.nextRetryAt.local!) - Math.floor(queuedAt.getTime() / 1000) * 1000) / 1000);
    expect(Number.isInteger(n) && n % 10 === 0).toBe(true);
  });

  it('sorts by sender (case-insensitive), first recipient and size, either way', async () => {
    expect((await list({ sort: 'sender', order: 'asc' })).messages.map((m) => m.sender)).toEqual(['', 'alice@example.com', 'Bob@Example.net']);
    expect((await list({ sort: 'recipient', order: 'asc' })).messages.map((m) => m.id)).toEqual([ids.carol, ids.alice, ids.bob]);
    const bySize = (await list({ sort: 'size', order: 'desc' })).messages.map((m) => m.size);
    expect(bySize).toEqual([...bySize].sort((a, b) => b - a));
  });

  it('pages, clamping a page past the end to the last one', async () => {
    expect(await list({ perPage: 2, page: 2 })).toMatchObject({ total: 3, page: 2, perPage: 2, messages: [{ id: ids.carol }] });
    expect((await list({ perPage: 2, page: 9 })).page).toBe(2);
  });
});

describe('queue.read', () => {
  it('gives the envelope, the headers (Received: line included), the text and the attachments', async () => {
    const r = await readQueueMessage(testContext(home.dir), { id: ids.bob });
    expect(r.message.id).toBe(ids.bob);
    expect(r.parsed.headers[0][0]).toBe('Received');
    expect(r.parsed).toMatchObject({ from: 'bob@example.net', to: 'carol@example.net', subject: 'Photos', date: '2024-03-14T09:12:44.000Z', truncated: false });
    expect(r.parsed.text?.trim()).toBe('See attached.');
    expect(r.parsed.attachments).toEqual([{ index: 0, filename: 'photo.bin', contentType: 'application/octet-stream', size: attachment.length }]);
    expect(r.parsed.size).toBe(r.message.size);
  });

  it('cuts a long body at BODY_PREVIEW_BYTES and says so', async () => {
    const id = queue.add({ sender: 'a@b.c', recipients: [{ kind: 'remote', address: 'd@e.f' }], body: plainMessage({ from: 'a@b.c', to: 'd@e.f', subject: 'big', body: 'é'.repeat(BODY_PREVIEW_BYTES) }) });
    const r = await readQueueMessage(testContext(home.dir), { id });
    expect(r.parsed.truncated).toBe(true);
    expect(Buffer.byteLength(r.parsed.text!)).toBe(BODY_PREVIEW_BYTES);
    expect(r.parsed.text!.endsWith('é')).toBe(true);
  });

  it('answers not_found for a message that is not in the queue', async () => {
    expect(await answerRequest(testContext(home.dir), AgentRequest.queueRead, { id: 424242 })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'id: no message #424242 in the queue (delivered or deleted)' },
    });
  });

  it('answers invalid, naming the field, for a bad payload', async () => {
    const answer = await answerRequest(testContext(home.dir), AgentRequest.queueRead, { id: 'x' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!answer.ok && answer.error.message).toMatch(/^id: /);
  });
});

describe('queue.chunk', () => {
  async function reassemble(part: 'raw' | number, length: number) {
    const parts: Buffer[] = [];
    for (let offset = 0; ; ) {
      const c = await queueChunk(testContext(home.dir), { id: ids.bob, part, offset, length });
      parts.push(Buffer.from(c.data, 'base64'));
      offset += Buffer.from(c.data, 'base64').length;
      if (c.eof) return { data: Buffer.concat(parts), last: c };
    }
  }

  it('reassembles an attachment exactly from its decoded chunks', async () => {
    const { data, last } = await reassemble(0, CHUNK_MAX_BYTES);
    expect(data.equals(attachment)).toBe(true);
    expect(last).toMatchObject({ total: attachment.length, contentType: 'application/octet-stream', filename: 'photo.bin' });
  });

  it('reads the raw mess file in chunks', async () => {
    const { data } = await reassemble('raw', 100_000);
    expect(data.equals(await readFile(queue.messPath(ids.bob)))).toBe(true);
  });

  it('answers not_found for an attachment that does not exist', async () => {
    expect(await answerRequest(testContext(home.dir), AgentRequest.queueChunk, { id: ids.alice, part: 3, offset: 0, length: 10 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

describe('queue.find', () => {
  const find = (q: object) => findQueue(testContext(home.dir), q);

  it('finds by sender, as a case-insensitive substring', async () => {
    expect((await find({ sender: 'BOB@example' })).ids).toEqual([ids.bob]);
  });

  it('finds by recipient domain, pending or done, case-insensitive', async () => {
    expect((await find({ recipientDomain: 'example.org' })).ids).toEqual([ids.alice]);
    expect((await find({ recipientDomain: 'LOCALHOST' })).ids).toEqual([ids.bob]);
    expect((await find({ recipientDomain: 'example.com' })).ids).toEqual([ids.carol]);
  });

  it('finds by subject and combines criteria', async () => {
    expect(await find({ subject: 'quarterly' })).toEqual({ ids: [ids.alice], count: 1 });
    expect((await find({ subject: 'quarterly', sender: 'bob' })).count).toBe(0);
  });

  it('refuses a search without any criterion', async () => {
    expect(await answerRequest(testContext(home.dir), AgentRequest.queueFind, {})).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });
});
