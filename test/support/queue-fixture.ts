import fs from 'node:fs';
import path from 'node:path';

/**
 * A qmail queue written byte for byte as qmail-queue and qmail-send leave it (QMAIL.md §4,
 * after notqmail's hier.c, qmail-queue.c and qmail-send.c), for specs and benchmarks of the
 * queue reader. Synchronous on purpose: a fixture is built before the code under test runs.
 *
 * Strings are written as UTF-8, as a client would send them; pass a Buffer for other bytes.
 */

export type Bytes = string | Buffer;

export interface FixtureRecipient {
  kind: 'local' | 'remote';
  address: Bytes;
  /** Written as a `D` record (delivered or bounced) instead of `T`. */
  done?: boolean;
}

export interface FixtureMessage {
  /** '' for a bounce (`<>`). */
  sender: Bytes;
  recipients: FixtureRecipient[];
  /** The message as qmail-queue received it; its `Received:` line is prepended. */
  body?: Bytes;
  /** The info mtime (qmail's birth time); also the date in the Received: line. Default: now. */
  queuedAt?: Date;
  /** mtimes of local/remote (the next retry, QMAIL.md §4). Default: queuedAt. */
  nextRetry?: { local?: Date; remote?: Date };
  /** Writes bounce/ID: `bounceText` as given, or one record per done recipient. */
  bouncing?: boolean;
  bounceText?: Bytes;
  /** What follows "invoked " in the Received: line; default `by uid <uid>`. */
  invoked?: string;
}

export interface FixtureTodoMessage {
  sender: Bytes;
  /** Plain addresses: qmail-send has not yet sorted them into local and remote. */
  recipients: Bytes[];
  body?: Bytes;
  queuedAt?: Date;
  invoked?: string;
}

export interface QueueFixtureOptions {
  /** conf-split (QMAIL.md §4). */
  split?: number;
  /** The big-todo patch: intd/ and todo/ split like mess/. */
  bigTodo?: boolean;
  /** The qmail-queue pid and uid written in Received: lines and envelopes; default this process's. */
  pid?: number;
  uid?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** date822fmt.c: `14 Mar 2024 09:12:44 -0000\n`, UTC. */
export function date822(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} -0000\n`;
}

const bytes = (b: Bytes) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b);
const record = (type: string, value: Bytes) => Buffer.concat([Buffer.from(type), bytes(value), Buffer.from([0])]);

/**
 * One bounce/ID record as qmail-send's addbounce() appends it: `<addr>:` (newlines in the
 * address as `_`), the report with a final newline, blank lines inside it as `/`, then an
 * empty line.
 */
export function bounceRecord(address: Bytes, report: Bytes): Buffer {
  const addr = Buffer.from(bytes(address)).map((c) => (c === 0x0a ? 0x5f : c));
  const rep = bytes(report);
  const parts = [Buffer.from('<'), addr, Buffer.from('>:\n'), rep];
  if (rep.length && rep[rep.length - 1] !== 0x0a) parts.push(Buffer.from('\n'));
  const text = Buffer.concat(parts);
  for (let i = text.length - 2; i > 0; i--) if (text[i] === 0x0a && text[i - 1] === 0x0a) text[i] = 0x2f;
  return Buffer.concat([text, Buffer.from('\n')]);
}

/** hier.c: owners differ (qmailq, qmails) but fixtures only need the modes. */
const DIR_MODES: [string, number, boolean][] = [
  ['pid', 0o700, false],
  ['intd', 0o700, false],
  ['todo', 0o750, false],
  ['bounce', 0o700, false],
  ['mess', 0o750, true],
  ['info', 0o700, true],
  ['local', 0o700, true],
  ['remote', 0o700, true],
  ['lock', 0o750, false],
];

export class QueueFixture {
  readonly split: number;
  readonly bigTodo: boolean;
  private readonly pid: number;
  private readonly uid: number;
  private seq = 0;

  constructor(
    readonly dir: string,
    opts: QueueFixtureOptions = {},
  ) {
    this.split = opts.split ?? 23;
    this.bigTodo = opts.bigTodo ?? false;
    this.pid = opts.pid ?? process.pid;
    this.uid = opts.uid ?? process.getuid?.() ?? 0;
    this.mkdir(dir, 0o750);
    for (const [name, mode, split] of DIR_MODES) {
      this.mkdir(path.join(dir, name), mode);
      if (split || (this.bigTodo && (name === 'intd' || name === 'todo')))
        for (let n = 0; n < this.split; n++) this.mkdir(path.join(dir, name, String(n)), mode);
    }
    // hier.c; the lock/trigger FIFO is left out, nothing here writes to it.
    if (!fs.existsSync(path.join(dir, 'lock/tcpto'))) this.create(path.join(dir, 'lock/tcpto'), Buffer.alloc(1024), 0o644);
    if (!fs.existsSync(path.join(dir, 'lock/sendmutex'))) this.create(path.join(dir, 'lock/sendmutex'), Buffer.alloc(0), 0o600);
  }

  messPath(id: number) { return this.at('mess', id, true); }
  infoPath(id: number) { return this.at('info', id, true); }
  localPath(id: number) { return this.at('local', id, true); }
  remotePath(id: number) { return this.at('remote', id, true); }
  bouncePath(id: number) { return this.at('bounce', id, false); }
  intdPath(id: number) { return this.at('intd', id, this.bigTodo); }
  todoPath(id: number) { return this.at('todo', id, this.bigTodo); }

  /** A message qmail-send has preprocessed: mess, info, local and/or remote, maybe bounce. */
  add(m: FixtureMessage): number {
    const queuedAt = m.queuedAt ?? new Date();
    const id = this.queueMess(m.body, queuedAt, m.invoked);
    // qmail-send runs with umask 077 and creates these files with open_excl (mode 0600).
    this.create(this.infoPath(id), record('F', m.sender), 0o600, queuedAt);
    for (const kind of ['local', 'remote'] as const) {
      const rs = m.recipients.filter((r) => r.kind === kind);
      if (!rs.length) continue;
      const content = Buffer.concat(rs.map((r) => record(r.done ? 'D' : 'T', r.address)));
      const file = kind === 'local' ? this.localPath(id) : this.remotePath(id);
      this.create(file, content, 0o600, m.nextRetry?.[kind] ?? queuedAt);
    }
    if (m.bouncing || m.bounceText !== undefined) {
      const text =
        m.bounceText !== undefined
          ? bytes(m.bounceText)
          : Buffer.concat(
              m.recipients
                .filter((r) => r.done)
                .map((r) => bounceRecord(r.address, 'Sorry, no mailbox here by that name. (#5.1.1)')),
            );
      this.create(this.bouncePath(id), text, 0o600);
    }
    return id;
  }

  /** A message qmail-queue has written but qmail-send has not yet read (QMAIL.md §4, todo). */
  addTodo(m: FixtureTodoMessage): number {
    const queuedAt = m.queuedAt ?? new Date();
    const id = this.queueMess(m.body, queuedAt, m.invoked);
    // qmail-queue.c: u, p, F, then one T per recipient; no closing empty record.
    const envelope = Buffer.concat([
      record('u', String(this.uid)),
      record('p', String(this.pid)),
      record('F', m.sender),
      ...m.recipients.map((r) => record('T', r)),
    ]);
    this.create(this.intdPath(id), envelope, 0o644, queuedAt);
    // todo is a hard link to the complete intd: the message is now visible to qmail-send.
    fs.linkSync(this.intdPath(id), this.todoPath(id));
    return id;
  }

  /**
   * qmail-queue.c: create pid/<pid>.<time>.<seq>, take its inode number as the message id,
   * link it to mess/(id mod split)/id, unlink the pid file, then write the Received: line and
   * the message (umask 033, so mode 0644).
   */
  private queueMess(body: Bytes | undefined, queuedAt: Date, invoked?: string): number {
    const pidfn = path.join(this.dir, 'pid', `${this.pid}.${Math.floor(Date.now() / 1000)}.${++this.seq}`);
    const fd = fs.openSync(pidfn, 'wx', 0o644);
    try {
      const id = fs.fstatSync(fd).ino;
      const messfn = this.messPath(id);
      fs.linkSync(pidfn, messfn);
      fs.unlinkSync(pidfn);
      const received = `Received: (qmail ${this.pid} invoked ${invoked ?? `by uid ${this.uid}`}); ${date822(queuedAt)}`;
      fs.writeSync(fd, Buffer.concat([Buffer.from(received), bytes(body ?? '')]));
      fs.futimesSync(fd, queuedAt, queuedAt);
      return id;
    } finally {
      fs.closeSync(fd);
    }
  }

  private at(name: string, id: number, split: boolean): string {
    return path.join(this.dir, split ? `${name}/${id % this.split}/${id}` : `${name}/${id}`);
  }

  private mkdir(dir: string, mode: number) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, mode);
  }

  private create(file: string, content: Buffer, mode: number, mtime?: Date) {
    const fd = fs.openSync(file, 'wx', mode);
    try {
      fs.writeSync(fd, content);
      fs.fchmodSync(fd, mode);
      if (mtime) fs.futimesSync(fd, mtime, mtime);
    } finally {
      fs.closeSync(fd);
    }
  }
}
