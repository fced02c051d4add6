import { spawn } from 'node:child_process';
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What qmail-local writes before the message in a mailbox: $RPLINE and $DTLINE (QMAIL.md §3, §6). */
export function deliveryPrefix(env: NodeJS.ProcessEnv): string {
  return (env['RPLINE'] ?? '') + (env['DTLINE'] ?? '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Delivers into a Maildir as qmail-local does (QMAIL.md §6): a unique name in tmp/, write and
 * fsync, link() into new/, unlink the tmp/ copy. A missing Maildir is an error: qmail-local
 * cannot create one either, and a temporary failure keeps the mail until someone does.
 */
export async function deliverMaildir(dir: string, data: Buffer): Promise<string> {
  // `/` and `:` would break the name (`:` starts the flags in cur/), hence the Maildir escapes.
  const host = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072');
  for (let attempt = 0; ; attempt++) {
    const name = `${Math.floor(Date.now() / 1000)}.${process.pid}.${host}`;
    const tmp = join(dir, 'tmp', name);
    let handle: FileHandle;
    try {
      handle = await open(tmp, 'wx', 0o600);
    } catch (e) {
      // The name is taken: qmail-local sleeps 2 s and tries again (QMAIL.md §6).
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 5) {
        await sleep(2000);
        continue;
      }
      throw e;
    }
    try {
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const target = join(dir, 'new', name);
      await link(tmp, target);
      return target;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `From <sender> <asctime>`, an empty sender written as MAILER-DAEMON (QMAIL.md §6). */
export function fromLine(sender: string, date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const asctime = `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
  return `From ${sender || 'MAILER-DAEMON'} ${asctime}\n`;
}

/** mboxrd quoting: every line matching `^>*From ` gets one more `>` (QMAIL.md §6). */
export function quoteFromLines(message: Buffer): Buffer {
  return Buffer.from(message.toString('latin1').replace(/^(>*From )/gm, '>$1'), 'latin1');
}

/** One mbox entry: From_ line, the prefix, the quoted message ending in a newline, a blank line. */
export function mboxEntry(fromLine: string, prefix: string, message: Buffer): Buffer {
  const body = quoteFromLines(message);
  const lf = body.length && body[body.length - 1] !== 0x0a ? '\n' : '';
  return Buffer.concat([Buffer.from(fromLine + prefix), body, Buffer.from(lf + '\n')]);
}

/**
 * Takes flock(2) on an open file, as qmail-local does on an mbox (QMAIL.md §6). Node has no
 * flock, so flock(1) locks the descriptor we pass it; the lock belongs to the open file, which
 * we share, and lasts until we close it.
 */
function lockExclusive(handle: FileHandle): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-x', '-w', '300', '3'], { stdio: ['ignore', 'ignore', 'pipe', handle.fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`flock exited with ${code}: ${stderr.trim()}`))));
  });
}

/**
 * Appends ENTRY to an mbox under an exclusive lock; if the write fails the file is cut back
 * to its old length, as qmail-local does, so no half message is left behind (QMAIL.md §6).
 * The mbox is created if missing, like qmail-local's O_APPEND|O_CREAT.
 */
export async function deliverMbox(path: string, entry: Buffer, log: (line: string) => void = () => undefined): Promise<void> {
  const handle = await open(path, 'a', 0o600);
  try {
    try {
      await lockExclusive(handle);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      log(`flock(1) not found; appending to ${path} without a lock`);
    }
    const before = (await handle.stat()).size;
    try {
      await handle.writeFile(entry);
      await handle.sync();
    } catch (e) {
      await handle.truncate(before).catch(() => undefined);
      throw e;
    }
  } finally {
    await handle.close();
  }
}
