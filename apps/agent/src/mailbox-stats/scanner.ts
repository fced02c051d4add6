import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MboxStatsCounter, maildirNameSize, maildirNameTime, nextTurn, parseMaildirsize, type MaildirQuota } from '@qfleet/qmail';
import type { MailboxFigures, MailboxScanTarget } from '@qfleet/protocol';

/**
 * Mailbox statistics for every mailbox of a host, cheap enough to run every few minutes on a
 * host with 10,000 mailboxes (issue 14). What it keeps between scans:
 *
 * - per Maildir directory (new/, cur/ of the Maildir and of each Maildir++ folder, and the
 *   Maildir itself for its folder list) the figures of its files, keyed by the directory's
 *   mtime: a delivery, a rename or an unlink changes it, nothing else does. A directory whose
 *   mtime is this close to the scan's start may still change within the same mtime (mtimes
 *   are coarse on some filesystems), so its figures are not trusted next time.
 * - per mbox its figures keyed by inode, size and mtime; a grown mbox whose old end is
 *   unchanged is read only from there (qmail-local only appends).
 *
 * It reads no message bodies: Maildir sizes come from `,S=` in the name (else a stat) and
 * times from the name's leading delivery time; an mbox is streamed, only its From_ lines and
 * header blocks parsed. It yields to the event loop after every directory and file.
 */

/** A directory modified this recently (ms before the scan began) is rescanned next time. */
export const SETTLE_MS = 2_000;
const CHUNK = 256 * 1024;
/** Bytes compared at an mbox's old end before only its tail is read. */
const FINGERPRINT_BYTES = 64;
const MAILDIRSIZE_MAX = 1 << 20;

interface DirFigures {
  messages: number;
  bytes: number;
  newest: number | null;
  oldest: number | null;
}

interface DirEntry {
  mtimeMs: number;
  trusted: boolean;
  figures: DirFigures;
  /** the Maildir itself: its Maildir++ folders */
  folders?: string[];
  seen: number;
}

interface MboxEntry {
  ino: number;
  size: number;
  mtimeMs: number;
  trusted: boolean;
  fingerprint: Buffer;
  figures: { messages: number; unread: number; newest: number | null; oldest: number | null };
  seen: number;
}

interface QuotaEntry {
  key: string;
  quota: MaildirQuota | null;
  seen: number;
}

/** What one scan did, for the benchmark and the tests. */
export interface ScanCounters {
  /** readdir calls: directories read because they changed or were never read */
  dirReads: number;
  /** directories whose cached figures were used */
  dirHits: number;
  /** files stat'ed for a size (names without `,S=`) */
  fileStats: number;
  /** mbox bytes read */
  mboxBytesRead: number;
  /** mboxes read only from their old end */
  mboxAppends: number;
}

export interface ScanResult {
  mailboxes: MailboxFigures[];
  /** mailboxes that could not be read */
  skipped: number;
  counters: ScanCounters;
  ms: number;
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';

/** Some filesystems give no type in readdir (DT_UNKNOWN): such an entry is stat'ed. */
const isUnknownType = (e: Dirent) => !(e.isFile() || e.isDirectory() || e.isSymbolicLink() || e.isFIFO() || e.isSocket() || e.isBlockDevice() || e.isCharacterDevice());

function addTimes(into: DirFigures, t: number | null) {
  if (t === null) return;
  if (into.newest === null || t > into.newest) into.newest = t;
  if (into.oldest === null || t < into.oldest) into.oldest = t;
}

export class MailboxStatsScanner {
  private readonly dirs = new Map<string, DirEntry>();
  private readonly mboxes = new Map<string, MboxEntry>();
  private readonly quotas = new Map<string, QuotaEntry>();
  private generation = 0;
  private counters!: ScanCounters;
  private started = 0;

  /** Entries the cache holds (directories, mboxes, maildirsize files). */
  get cached(): number {
    return this.dirs.size + this.mboxes.size + this.quotas.size;
  }

  async scan(locations: MailboxScanTarget[]): Promise<ScanResult> {
    this.generation++;
    this.started = Date.now();
    this.counters = { dirReads: 0, dirHits: 0, fileStats: 0, mboxBytesRead: 0, mboxAppends: 0 };
    const out: MailboxFigures[] = [];
    let skipped = 0;
    for (const loc of locations) {
      try {
        const figures = loc.format === 'maildir' ? await this.maildir(loc) : await this.mbox(loc);
        if (figures) out.push(figures);
      } catch {
        skipped++;
      }
      await nextTurn();
    }
    // Mailboxes and folders gone since the last scan leave the cache.
    for (const cache of [this.dirs, this.mboxes, this.quotas] as Map<string, { seen: number }>[]) {
      for (const [k, v] of cache) if (v.seen !== this.generation) cache.delete(k);
    }
    return { mailboxes: out, skipped, counters: this.counters, ms: Date.now() - this.started };
  }

  private settled(mtimeMs: number): boolean {
    return mtimeMs < this.started - SETTLE_MS;
  }

  /** A Maildir: null when it does not exist (a user with no mail yet). */
  private async maildir(loc: MailboxScanTarget): Promise<MailboxFigures | null> {
    const st = await lstat(loc.path).catch((e) => (isMissing(e) ? null : Promise.reject(e)));
    if (!st) return null;
    if (!st.isDirectory()) throw new Error(`${loc.path}: not a directory`);
    const folders = await this.folders(loc.path, st);
    const total: DirFigures = { messages: 0, bytes: 0, newest: null, oldest: null };
    let unread = 0;
    for (const folder of ['', ...folders]) {
      for (const sub of ['new', 'cur'] as const) {
        const f = await this.messageDir(join(loc.path, folder, sub));
        total.messages += f.messages;
        total.bytes += f.bytes;
        addTimes(total, f.newest);
        addTimes(total, f.oldest);
        if (sub === 'new') unread += f.messages;
        await nextTurn();
      }
    }
    const quota = await this.maildirsize(join(loc.path, 'maildirsize'));
    return {
      user: loc.user,
      format: 'maildir',
      messages: total.messages,
      bytes: total.bytes,
      unread,
      newestAt: total.newest === null ? null : new Date(total.newest).toISOString(),
      oldestAt: total.oldest === null ? null : new Date(total.oldest).toISOString(),
      quotaBytes: quota?.quotaBytes ?? null,
      quotaMessages: quota?.quotaMessages ?? null,
      quotaUsedBytes: quota ? quota.usedBytes : null,
      quotaUsedMessages: quota ? quota.usedMessages : null,
    };
  }

  /** The Maildir++ folders (`.Name/`), from the Maildir's own listing, cached by its mtime. */
  private async folders(path: string, st: Stats): Promise<string[]> {
    const hit = this.dirs.get(path);
    if (hit && hit.trusted && hit.mtimeMs === st.mtimeMs && hit.folders) {
      hit.seen = this.generation;
      this.counters.dirHits++;
      return hit.folders;
    }
    this.counters.dirReads++;
    const entries = await readdir(path, { withFileTypes: true });
    const folders = entries.filter((e) => e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..').map((e) => e.name).sort();
    this.dirs.set(path, { mtimeMs: st.mtimeMs, trusted: this.settled(st.mtimeMs), figures: { messages: 0, bytes: 0, newest: null, oldest: null }, folders, seen: this.generation });
    return folders;
  }

  private async messageDir(dir: string): Promise<DirFigures> {
    const st = await lstat(dir).catch((e) => (isMissing(e) ? null : Promise.reject(e)));
    if (!st || !st.isDirectory()) return { messages: 0, bytes: 0, newest: null, oldest: null };
    const hit = this.dirs.get(dir);
    if (hit && hit.trusted && hit.mtimeMs === st.mtimeMs) {
      hit.seen = this.generation;
      this.counters.dirHits++;
      return hit.figures;
    }
    this.counters.dirReads++;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return { messages: 0, bytes: 0, newest: null, oldest: null };
      throw e;
    }
    const figures: DirFigures = { messages: 0, bytes: 0, newest: null, oldest: null };
    for (const e of entries) {
      // Readers skip dot names (QMAIL.md §6); links and directories are not messages.
      const unknown = isUnknownType(e);
      if (e.name.startsWith('.') || !(e.isFile() || unknown)) continue;
      let size = maildirNameSize(e.name);
      let time = maildirNameTime(e.name);
      if (size === null || time === null || unknown) {
        this.counters.fileStats++;
        const fst = await lstat(join(dir, e.name)).catch(() => null);
        if (!fst || !fst.isFile()) continue; // moved to cur/ or deleted meanwhile
        size ??= fst.size;
        time ??= fst.mtimeMs;
      }
      figures.messages++;
      figures.bytes += size;
      addTimes(figures, time);
    }
    this.dirs.set(dir, { mtimeMs: st.mtimeMs, trusted: this.settled(st.mtimeMs), figures, seen: this.generation });
    return figures;
  }

  private async maildirsize(file: string): Promise<MaildirQuota | null> {
    const st = await lstat(file).catch(() => null);
    if (!st || !st.isFile() || st.size > MAILDIRSIZE_MAX) return null;
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = this.quotas.get(file);
    if (hit && hit.key === key && this.settled(st.mtimeMs)) {
      hit.seen = this.generation;
      return hit.quota;
    }
    const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
    if (!handle) return null;
    try {
      const quota = parseMaildirsize(await handle.readFile('utf8'));
      this.quotas.set(file, { key, quota, seen: this.generation });
      return quota;
    } finally {
      await handle.close();
    }
  }

  /** An mbox: null when there is none. Opened without following a link. */
  private async mbox(loc: MailboxScanTarget): Promise<MailboxFigures | null> {
    let handle;
    try {
      handle = await open(loc.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`${loc.path}: not a regular file`);
      const figures = await this.mboxFigures(loc.path, handle, st);
      return {
        user: loc.user,
        format: 'mbox',
        messages: figures.messages,
        bytes: st.size,
        unread: figures.unread,
        newestAt: figures.newest === null ? null : new Date(figures.newest).toISOString(),
        oldestAt: figures.oldest === null ? null : new Date(figures.oldest).toISOString(),
        quotaBytes: null,
        quotaMessages: null,
        quotaUsedBytes: null,
        quotaUsedMessages: null,
      };
    } finally {
      await handle.close();
    }
  }

  private async mboxFigures(path: string, handle: import('node:fs/promises').FileHandle, st: Stats): Promise<MboxEntry['figures']> {
    const hit = this.mboxes.get(path);
    if (hit && hit.trusted && hit.ino === st.ino && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
      hit.seen = this.generation;
      return hit.figures;
    }
    let start = 0;
    let base: MboxEntry['figures'] = { messages: 0, unread: 0, newest: null, oldest: null };
    // Appended to since: the old end still reads the same and a From_ line begins where it was.
    if (hit && hit.ino === st.ino && st.size > hit.size && hit.fingerprint.length) {
      const probe = Buffer.alloc(hit.fingerprint.length + 5);
      const { bytesRead } = await handle.read(probe, 0, probe.length, hit.size - hit.fingerprint.length);
      if (bytesRead === probe.length && probe.subarray(0, hit.fingerprint.length).equals(hit.fingerprint) && probe.subarray(hit.fingerprint.length).toString('latin1') === 'From ') {
        start = hit.size;
        base = hit.figures;
        this.counters.mboxAppends++;
      }
    }
    const counter = new MboxStatsCounter();
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = start;
    while (pos < st.size) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, st.size - pos), pos);
      if (bytesRead === 0) break;
      // The counter may keep a slice of a partial line: hand it a copy of the reused buffer.
      counter.feed(Buffer.from(buf.subarray(0, bytesRead)));
      pos += bytesRead;
      this.counters.mboxBytesRead += bytesRead;
      if (pos < st.size) await nextTurn();
    }
    const tail = counter.end();
    const figures = {
      messages: base.messages + tail.messages,
      unread: base.unread + tail.unread,
      newest: base.newest === null ? tail.newest : tail.newest === null ? base.newest : Math.max(base.newest, tail.newest),
      oldest: base.oldest === null ? tail.oldest : tail.oldest === null ? base.oldest : Math.min(base.oldest, tail.oldest),
    };
    const fpLen = Math.min(FINGERPRINT_BYTES, st.size);
    const fingerprint = Buffer.alloc(fpLen);
    if (fpLen) await handle.read(fingerprint, 0, fpLen, st.size - fpLen);
    this.mboxes.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, trusted: this.settled(st.mtimeMs), fingerprint, figures, seen: this.generation });
    return figures;
  }
}
