import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatQread, formatQstat, scanQueue, type QueueScan } from '@qfleet/qmail';
import { QueueFixture, bounceRecord } from '../support/queue-fixture';

// The queue reader against queues written as qmail writes them (QMAIL.md §4). Expected
// outputs are written by hand from qmail-qread.c and qmail-qstat.sh, not computed.

const tmpQueue = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-queue-')), 'queue');
const mode = (file: string) => fs.statSync(file).mode & 0o7777;

describe('QueueFixture', () => {
  let fx: QueueFixture;
  beforeEach(() => (fx = new QueueFixture(tmpQueue(), { pid: 4242, uid: 0 })));
  afterEach(() => fs.rmSync(path.dirname(fx.dir), { recursive: true, force: true }));

  it('creates the directories of hier.c with their modes', () => {
    expect(mode(fx.dir)).toBe(0o750);
    expect(mode(`${fx.dir}/pid`)).toBe(0o700);
    expect(mode(`${fx.dir}/todo`)).toBe(0o750);
    expect(mode(`${fx.dir}/mess/22`)).toBe(0o750);
    expect(mode(`${fx.dir}/info/0`)).toBe(0o700);
    expect(fs.existsSync(`${fx.dir}/mess/23`)).toBe(false);
    expect(fs.statSync(`${fx.dir}/lock/tcpto`).size).toBe(1024);
  });

  it('names a message after the inode of its mess file and writes each file byte for byte', () => {
    const queuedAt = new Date('2024-03-14T09:12:44Z');
    const retry = new Date('2024-03-14T09:19:24Z');
    const id = fx.add({
      sender: 'alice@example.com',
      recipients: [
        { kind: 'remote', address: 'bob@example.org' },
        { kind: 'remote', address: 'carol@example.net', done: true },
      ],
      body: 'Subject: hi\n\nhello\n',
      queuedAt,
      nextRetry: { remote: retry },
      bouncing: true,
    });
    expect(fs.statSync(fx.messPath(id)).ino).toBe(id);
    expect(fx.messPath(id)).toBe(`${fx.dir}/mess/${id % 23}/${id}`);
    expect(fs.readdirSync(`${fx.dir}/pid`)).toEqual([]);
    expect(fs.readFileSync(fx.messPath(id), 'latin1')).toBe(
      'Received: (qmail 4242 invoked by uid 0); 14 Mar 2024 09:12:44 -0000\nSubject: hi\n\nhello\n',
    );
    expect(fs.readFileSync(fx.infoPath(id), 'latin1')).toBe('Falice@example.com\0');
    expect(fs.statSync(fx.infoPath(id)).mtime).toEqual(queuedAt);
    expect(fs.readFileSync(fx.remotePath(id), 'latin1')).toBe('Tbob@example.org\0Dcarol@example.net\0');
    expect(fs.statSync(fx.remotePath(id)).mtime).toEqual(retry);
    expect(fs.existsSync(fx.localPath(id))).toBe(false);
    expect(fs.readFileSync(fx.bouncePath(id), 'latin1')).toBe(
      '<carol@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n',
    );
    expect(mode(fx.infoPath(id))).toBe(0o600);
    expect(mode(fx.messPath(id))).toBe(0o644);
  });

  it('writes a bounce report as addbounce does: blank lines inside become /', () => {
    expect(bounceRecord('a\nb@x', 'first\n\nsecond').toString()).toBe('<a_b@x>:\nfirst\n/second\n\n');
  });

  it('writes a todo message as qmail-queue does: the envelope in intd, todo a link to it', () => {
    const id = fx.addTodo({ sender: 'a@b', recipients: ['c@d', 'e@f'], body: 'x' });
    expect(fs.readFileSync(fx.intdPath(id), 'latin1')).toBe('u0\0p4242\0Fa@b\0Tc@d\0Te@f\0');
    expect(fs.statSync(fx.todoPath(id)).ino).toBe(fs.statSync(fx.intdPath(id)).ino);
    expect(fx.todoPath(id)).toBe(`${fx.dir}/todo/${id}`);
    expect(fs.existsSync(fx.infoPath(id))).toBe(false);
  });
});

describe('scanQueue on a queue written as qmail writes it', () => {
  let fx: QueueFixture;
  afterEach(() => fs.rmSync(path.dirname(fx.dir), { recursive: true, force: true }));

  it('prints what qmail-qread prints and counts what qmail-qstat counts', async () => {
    fx = new QueueFixture(tmpQueue(), { pid: 4242, uid: 0 });
    const a = fx.add({
      sender: 'alice@example.com',
      recipients: [
        { kind: 'remote', address: 'bob@example.org' },
        { kind: 'remote', address: 'carol@example.net', done: true },
        { kind: 'local', address: 'joe-info@nowhere.mil' },
      ],
      body: 'Subject: hi\n\nhello\n', // 19 bytes + the 68-byte Received: line
      queuedAt: new Date('2024-03-14T09:12:44Z'),
      bouncing: true,
    });
    const b = fx.add({
      sender: '', // a bounce
      recipients: [{ kind: 'remote', address: 'josé@example.com' }], // é is two bytes in UTF-8
      invoked: 'for bounce', // 69-byte Received: line, empty body
      queuedAt: new Date('2024-01-02T03:04:05Z'),
    });
    const c = fx.add({
      sender: 'bob@example.org',
      recipients: [
        { kind: 'local', address: 'mary@here', done: true },
        { kind: 'local', address: 'tab\there' },
      ],
      body: 'x\n', // 2 bytes + the 67-byte Received: line
      queuedAt: new Date('2024-11-05T23:59:59Z'),
    });
    fx.addTodo({ sender: 'new@example.com', recipients: ['someone@example.org'], body: 'later\n' });

    const expected: Record<number, string> = {
      [a]:
        `14 Mar 2024 09:12:44 GMT  #${a}  87  <alice@example.com>  bouncing\n` +
        '\tlocal\tjoe-info@nowhere.mil\n' +
        '\tremote\tbob@example.org\n' +
        '  done\tremote\tcarol@example.net\n',
      [b]: `2 Jan 2024 03:04:05 GMT  #${b}  69  <> \n` + '\tremote\tjos__@example.com\n',
      [c]: `5 Nov 2024 23:59:59 GMT  #${c}  69  <bob@example.org> \n` + '  done\tlocal\tmary@here\n' + '\tlocal\ttab_here\n',
    };

    const scan = await scanQueue(fx.dir);
    // qmail-qread walks info/0 … info/22, each in readdir order; the todo message is not listed.
    const order = Array.from({ length: 23 }, (_, n) =>
      fs.readdirSync(`${fx.dir}/info/${n}`).map(Number),
    ).flat();
    expect(scan.messages.map((m) => m.id)).toEqual(order);
    expect(order.sort()).toEqual([a, b, c].sort());
    expect(formatQread(scan.messages)).toBe(scan.messages.map((m) => expected[m.id]).join(''));

    expect(formatQstat(scan.counts)).toBe('messages in queue: 4\nmessages in queue but not yet preprocessed: 1\n');
    expect(scan.bytes).toBe(87 + 69 + 69);
    expect(scan.oldestQueuedAt).toEqual(new Date('2024-01-02T03:04:05Z'));
  });

  it('counts a big-todo queue as qmail-qstat does', async () => {
    fx = new QueueFixture(tmpQueue(), { bigTodo: true });
    fx.add({ sender: 'a@b', recipients: [{ kind: 'remote', address: 'c@d' }] });
    const t = fx.addTodo({ sender: 'a@b', recipients: ['c@d'] });
    fx.addTodo({ sender: 'a@b', recipients: ['e@f'] });
    expect(fx.todoPath(t)).toBe(`${fx.dir}/todo/${t % 23}/${t}`);
    const scan = await scanQueue(fx.dir);
    expect(scan.counts).toEqual({ messages: 3, unprocessed: 2 });
    expect(scan.messages).toHaveLength(1);
  });
});

describe('scanQueue while qmail-send removes files', () => {
  let fx: QueueFixture;
  beforeAll(() => {
    fx = new QueueFixture(tmpQueue());
    const t0 = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 3000; i++) {
      fx.add({
        sender: `s${i}@example.com`,
        recipients: [
          { kind: 'local', address: `u${i}@here` },
          { kind: 'remote', address: `r${i}@dest${i % 7}.example`, done: i % 5 === 0 },
        ],
        body: `message ${i}\n`,
        queuedAt: new Date(t0 + i * 1000),
        bouncing: i % 5 === 0,
      });
    }
  });
  afterAll(() => fs.rmSync(path.dirname(fx.dir), { recursive: true, force: true }));
  afterEach(() => jest.restoreAllMocks());

  it('skips messages whose mess or info vanished after the listing, and reads vanished local/remote files as absent', async () => {
    const before = await scanQueue(fx.dir);
    const ids = before.messages.map((m) => m.id);
    const [goneInfo, goneMess, goneLocal, goneRemote] = [ids.slice(0, 50), ids.slice(50, 100), ids.slice(100, 150), ids.slice(150, 200)];

    // Delete right after the scan has listed info/, local/, remote/ and bounce/, before it
    // reads any message: exactly the window in which qmail-send finishes a message.
    const listed = /\/(info|local|remote)\/\d+$|\/bounce$/;
    let pending = 23 * 3 + 1;
    const readdir = fs.promises.readdir.bind(fs.promises);
    jest.spyOn(fs.promises, 'readdir').mockImplementation((async (dir: fs.PathLike, opts?: unknown) => {
      const entries = await readdir(dir, opts as never);
      if (listed.test(String(dir)) && --pending === 0) {
        for (const id of goneInfo) fs.unlinkSync(fx.infoPath(id));
        for (const id of goneMess) fs.unlinkSync(fx.messPath(id));
        for (const id of goneLocal) fs.unlinkSync(fx.localPath(id));
        for (const id of goneRemote) fs.unlinkSync(fx.remotePath(id));
      }
      return entries;
    }) as typeof fs.promises.readdir);

    const after = await scanQueue(fx.dir);
    expect(pending).toBe(0);
    const gone = new Set([...goneInfo, ...goneMess]);
    const byId = new Map(after.messages.map((m) => [m.id, m]));
    expect(after.messages.map((m) => m.id)).toEqual(ids.filter((id) => !gone.has(id)));
    for (const m of before.messages) {
      if (gone.has(m.id)) continue;
      const got = byId.get(m.id);
      if (goneLocal.includes(m.id)) {
        expect(got).toEqual({ ...m, recipients: m.recipients.filter((r) => r.kind !== 'local'), nextRetryAt: { remote: m.nextRetryAt.remote } });
      } else if (goneRemote.includes(m.id)) {
        expect(got).toEqual({ ...m, recipients: m.recipients.filter((r) => r.kind !== 'remote'), nextRetryAt: { local: m.nextRetryAt.local } });
      } else {
        expect(got).toEqual(m);
      }
    }
  });

  it('never fails while files are being unlinked in parallel', async () => {
    const ids = (await scanQueue(fx.dir)).messages.map((m) => m.id);
    let removed = 0;
    let scanning = true;
    const remover = (async () => {
      // qmail's order when a message is done (QMAIL.md §4): local/remote, bounce, info, mess.
      for (const id of ids.slice(300)) {
        if (!scanning) break;
        for (const f of [fx.localPath(id), fx.remotePath(id), fx.bouncePath(id), fx.infoPath(id), fx.messPath(id)])
          await fs.promises.rm(f, { force: true });
        removed++;
      }
    })();
    let scan: QueueScan;
    try {
      scan = await scanQueue(fx.dir, { concurrency: 8 });
    } finally {
      scanning = false;
      await remover;
    }
    expect(removed).toBeGreaterThan(0);
    expect(scan.messages.length).toBeGreaterThanOrEqual(300);
    expect(scan.messages.length).toBeLessThanOrEqual(ids.length);
    for (const m of scan.messages) expect(m.sender).toMatch(/^s\d+@example\.com$/);
  });
});
