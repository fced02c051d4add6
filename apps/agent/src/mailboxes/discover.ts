import type { Stats } from 'node:fs';
import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { MailboxFormat, MailboxLocation } from '@qfleet/protocol';
import { dotQmailMailboxes, lowerAscii, parseAssign } from '@qfleet/qmail';

/**
 * Which mailboxes a host has (issue 12, point 4): only those that exist, each with its own
 * format, from the three places qmail delivers to (QMAIL.md §2, §3, §6):
 * 1. the homes of users/assign entries (qmail-lspawn looks there first);
 * 2. the homes of passwd users qmail-getpw accepts (uid not 0, a lowercase name, a home that
 *    exists and that the user owns): `nobody` with `/nonexistent` is not one;
 * 3. the Maildir and mbox lines of `~alias/.qmail-*`, delivered as the alias user.
 * A home's mailbox is `<home>/Maildir/` or `<home>/Mailbox` (the agent's --maildir-name and
 * --mbox-name); when both exist, --mailbox (qmail-start's defaultdelivery) says which one
 * qmail-local writes. Consumers: the mailbox requests, and the mailbox statistics (issue 14).
 */

export interface DiscoverSettings {
  qmailHome: string;
  mailbox: {
    /** the format qmail-start's defaultdelivery names: chosen when a home has both */
    format: MailboxFormat;
    maildirName: string;
    mboxName: string;
    passwdFile: string;
  };
}

/** A place that may hold a mailbox, and why it is never served when it is refused. */
export interface MailboxCandidate {
  id: string;
  user: string;
  uid: number;
  home: string;
  source: MailboxLocation['source'];
  refused?: string;
}

/** The alias user's name (qmail's auto_usera) and home below the qmail home (QMAIL.md §3). */
export const ALIAS_USER = 'alias';
/** A `.qmail-*` file larger than this is not a list of deliveries; it is skipped. */
const MAX_DOT_QMAIL_BYTES = 64 * 1024;
/** What a request's mailbox id may be (libs/protocol mailboxId). */
const MAILBOX_ID = /^[A-Za-z0-9._:+-]{1,300}$/;

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');
const statOrNull = (p: string): Promise<Stats | null> => stat(p).catch((err) => (isMissing(err) ? null : Promise.reject(err)));
const lstatOrNull = (p: string): Promise<Stats | null> => lstat(p).catch((err) => (isMissing(err) ? null : Promise.reject(err)));

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) return '';
    throw err;
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  home: string;
}

function parsePasswd(content: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of content.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !f[0] || f[0].startsWith('#') || !/^[0-9]+$/.test(f[2] ?? '')) continue;
    out.push({ name: f[0], uid: Number(f[2]), home: f[5] ?? '' });
  }
  return out;
}

/**
 * qmail-lspawn never delivers as root (`if (!getuid()) _exit(QLX_ROOT)`), so a uid-0 "mailbox" is
 * root's files, not mail; a home like `/home/../root` would pass a prefix check and lead there.
 */
function homeProblem(home: string, uid: number): string | undefined {
  if (uid === 0) return 'has uid 0: qmail never delivers as root, so its home is not served';
  if (!home.startsWith('/') || posix.normalize(home) !== home) return `has the home ${JSON.stringify(home)}, which is not a normalized absolute path`;
  return undefined;
}

/** The users/assign homes, then the passwd users qmail-getpw would take; one per user, the first kept. */
export async function homeCandidates(settings: DiscoverSettings): Promise<MailboxCandidate[]> {
  const byUser = new Map<string, MailboxCandidate>();
  const assigned = parseAssign(await readOptional(join(settings.qmailHome, 'users/assign'))).entries;
  for (const a of assigned) {
    if (!byUser.has(a.user)) byUser.set(a.user, { id: a.user, user: a.user, uid: a.uid, home: a.home, source: 'assign', refused: homeProblem(a.home, a.uid) });
  }
  for (const p of parsePasswd(await readOptional(settings.mailbox.passwdFile))) {
    if (byUser.has(p.name) || p.uid === 0 || p.name === ALIAS_USER) continue;
    // qmail-getpw lowercases the local part before getpwnam: a name with capitals never gets mail.
    if (lowerAscii(p.name) !== p.name || !/^[A-Za-z0-9._-]+$/.test(p.name) || homeProblem(p.home, p.uid)) continue;
    const home = await statOrNull(p.home);
    if (!home?.isDirectory() || home.uid !== p.uid) continue;
    byUser.set(p.name, { id: p.name, user: p.name, uid: p.uid, home: p.home, source: 'home' });
  }
  return [...byUser.values()];
}

/** The mailbox in a home, the --mailbox format first; undefined when it has neither. */
async function homeMailbox(settings: DiscoverSettings, home: string): Promise<{ path: string; format: MailboxFormat } | undefined> {
  const order: MailboxFormat[] = settings.mailbox.format === 'maildir' ? ['maildir', 'mbox'] : ['mbox', 'maildir'];
  for (const format of order) {
    const path = join(home, format === 'maildir' ? settings.mailbox.maildirName : settings.mailbox.mboxName);
    if (await exists(path, format)) return { path, format };
  }
  return undefined;
}

/**
 * A Maildir is a directory (a link to one is found, and refused when served if it leads out of
 * the home); an mbox is anything else there, a link included, which is refused when opened.
 */
async function exists(path: string, format: MailboxFormat): Promise<boolean> {
  if (format === 'maildir') return (await statOrNull(path))?.isDirectory() ?? false;
  const st = await lstatOrNull(path);
  return st !== null && !st.isDirectory();
}

/** The alias user: from passwd, else the owner of ~alias. */
async function aliasAccount(settings: DiscoverSettings, aliasHome: string): Promise<{ user: string; uid: number } | undefined> {
  const fromPasswd = parsePasswd(await readOptional(settings.mailbox.passwdFile)).find((p) => p.name === ALIAS_USER);
  if (fromPasswd) return { user: fromPasswd.name, uid: fromPasswd.uid };
  const st = await statOrNull(aliasHome);
  return st?.isDirectory() ? { user: ALIAS_USER, uid: st.uid } : undefined;
}

async function readSmall(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r').catch((err) => (isMissing(err) ? null : Promise.reject(err)));
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > MAX_DOT_QMAIL_BYTES) return undefined;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** The mailboxes the `.qmail-*` files of ~alias deliver to; a symlinked file (LWQ's mailer-daemon → postmaster) is skipped, its target is listed. */
async function aliasMailboxes(settings: DiscoverSettings): Promise<MailboxLocation[]> {
  const aliasHome = join(settings.qmailHome, 'alias');
  const account = await aliasAccount(settings, aliasHome);
  if (!account || account.uid === 0) return [];
  let names: string[];
  try {
    names = (await readdir(aliasHome, { withFileTypes: true })).filter((e) => e.isFile() && e.name.startsWith('.qmail-')).map((e) => e.name);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const out: MailboxLocation[] = [];
  for (const name of names.sort()) {
    const content = await readSmall(join(aliasHome, name));
    if (content === undefined) continue;
    const ext = name.slice('.qmail-'.length);
    let n = 0;
    for (const line of dotQmailMailboxes(content)) {
      n++;
      const path = posix.normalize(line.path.startsWith('/') ? line.path : join(aliasHome, line.path));
      if (!(await exists(path, line.format))) continue;
      const id = `${account.user}+${ext}${n > 1 ? `+${n}` : ''}`;
      if (!MAILBOX_ID.test(id)) continue; // a hand-written name no request could name
      out.push({ id, user: account.user, uid: account.uid, home: aliasHome, path, format: line.format, source: 'alias', dotQmail: name });
    }
  }
  return out;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Every mailbox that exists on this host, sorted by id. */
export async function discoverMailboxes(settings: DiscoverSettings): Promise<MailboxLocation[]> {
  const found: MailboxLocation[] = [];
  for (const c of await homeCandidates(settings)) {
    if (c.refused) continue;
    const box = await homeMailbox(settings, c.home);
    if (box) found.push({ id: c.id, user: c.user, uid: c.uid, home: c.home, path: box.path, format: box.format, source: c.source });
  }
  found.push(...(await aliasMailboxes(settings)));
  return found.sort(byId);
}

/** One mailbox by id, or why it is not served (a refused home), or undefined. */
export async function findMailbox(settings: DiscoverSettings, id: string): Promise<MailboxLocation | { refused: string } | undefined> {
  const box = (await discoverMailboxes(settings)).find((m) => m.id === id);
  if (box) return box;
  const refused = (await homeCandidates(settings)).find((c) => c.id === id)?.refused;
  return refused ? { refused } : undefined;
}
