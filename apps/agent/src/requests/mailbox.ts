import { lstat, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, posix, sep } from 'node:path';
import { z } from 'zod';
import {
  describeProblems,
  parsePayload,
  type ChunkResult,
  type MailboxChunkRequestSchema,
  type MailboxListRequest,
  type MailboxListResult,
  type MailboxUsersResult,
} from '@qfleet/protocol';
import {
  MailSearchQuerySchema,
  MessageNotFound,
  deleteMaildirMessages,
  deleteMboxMessages,
  listMaildir,
  listMbox,
  maildirStats,
  mboxMessages,
  mboxStats,
  openRegularNoFollow,
  pageOf,
  parseAssign,
  parseMessage,
  readMaildirMessage,
  readMboxMessage,
  searchMessages,
  type MailSearchQuery,
  type OwnerCheck,
  type ParsedMessage,
} from '@qfleet/qmail';
import { RequestFailure, type RequestContext } from './context';
import { chunkOf, headerBlock, parseView } from './message-view';

/**
 * The mailbox requests, as Webmin's Read User Mail module offers them (QMAIL.md §7) but reading
 * only: nothing is renamed from new/ to cur/ (Webmin does, §7), and an mbox is edited only under
 * qmail-local's own flock (DESIGN.md "The agent").
 */

type MailboxUser = MailboxUsersResult['users'][number];
interface Owner {
  user: string;
  home: string;
  uid: number;
  /** why this home is never listed or served */
  refused?: string;
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

/** Users below this uid are system accounts; they are listed only when users/assign names them. */
const FIRST_USER_UID = 100;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) return '';
    throw err;
  }
}

/**
 * Who has a mailbox: the homes of users/assign (QMAIL.md §2; they win, since qmail-lspawn looks
 * there before passwd), then the passwd users from uid 100 (root never gets mail delivered as root:
 * qmail-getpw refuses uid 0). One entry per user, sorted by name.
 */
export async function mailboxOwners(ctx: RequestContext): Promise<Owner[]> {
  const byUser = new Map<string, Owner>();
  const assigned = parseAssign(await readOptional(join(ctx.qmailHome, 'users/assign'))).entries;
  for (const a of assigned) if (!byUser.has(a.user)) byUser.set(a.user, { user: a.user, home: a.home, uid: a.uid, refused: homeProblem(a.home, a.uid) });
  for (const line of (await readOptional(ctx.mailbox.passwdFile)).split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !f[0] || f[0].startsWith('#')) continue;
    const uid = Number(f[2]);
    if (!Number.isInteger(uid) || uid === 0 || uid < FIRST_USER_UID || byUser.has(f[0]) || !f[5]) continue;
    byUser.set(f[0], { user: f[0], home: f[5], uid, refused: homeProblem(f[5], uid) });
  }
  return [...byUser.values()].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/** `<home>/Maildir/` or `<home>/Mailbox` (QMAIL.md §6, Webmin's mail_dir_qmail and mail_file). */
export function mailboxPath(ctx: RequestContext, home: string): string {
  return join(home, ctx.mailbox.format === 'maildir' ? ctx.mailbox.maildirName : ctx.mailbox.mboxName);
}

const inside = (root: string, p: string) => p === root || p.startsWith(root + sep);
const realOrNull = (p: string) => realpath(p).catch(() => null);

/** A mailbox as it is safe to open: its real path and the uid every file in it must belong to. */
interface Mailbox {
  path: string;
  guard: OwnerCheck;
  exists: boolean;
}

/**
 * The user's mailbox, checked against the user's home: the home, the user owns it and anything in
 * it may be a link. The Maildir (and its cur/, new/, tmp/) or the mbox's directory must resolve
 * inside the real home; the files themselves are then opened with O_NOFOLLOW and must belong to
 * the user's uid (libs/qmail safe-fs), which also defeats hard links to other users' files.
 */
async function checkedMailbox(ctx: RequestContext, owner: Owner): Promise<Mailbox> {
  const guard = { uid: owner.uid };
  const path = mailboxPath(ctx, owner.home);
  const realHome = await realOrNull(owner.home);
  const st = realHome ? await lstat(path).catch(() => null) : null;
  if (!realHome || !st) return { path, guard, exists: false };
  const outside = (p: string, real: string) => new RequestFailure('failed', `${p}: leads outside the home ${owner.home} of ${owner.user} (to ${real}); refused`);
  if (ctx.mailbox.format === 'maildir') {
    const real = (await realOrNull(path)) ?? path;
    if (!inside(realHome, real)) throw outside(path, real);
    for (const sub of ['cur', 'new', 'tmp']) {
      const r = await realOrNull(join(real, sub));
      if (r && !inside(realHome, r)) throw outside(join(path, sub), r);
    }
    return { path: real, guard, exists: (await lstat(real).catch(() => null))?.isDirectory() ?? false };
  }
  // The mbox itself is opened with O_NOFOLLOW (a link is refused, never rewritten); its directory must be the home's.
  const dir = (await realOrNull(dirname(path))) ?? dirname(path);
  if (!inside(realHome, dir)) throw outside(dirname(path), dir);
  return { path: join(dir, basename(path)), guard, exists: !st.isDirectory() };
}

/** mailbox.users: each user's mailbox with size and count as Webmin computes them (QMAIL.md §6). */
export async function mailboxUsers(ctx: RequestContext): Promise<MailboxUsersResult> {
  const users: MailboxUser[] = [];
  for (const o of await mailboxOwners(ctx)) {
    if (o.refused) continue;
    const box = await checkedMailbox(ctx, o).catch(() => null);
    const exists = box?.exists ?? false;
    const stats = box && exists ? await (ctx.mailbox.format === 'maildir' ? maildirStats(box.path, box.guard) : mboxStats(box.path, box.guard)).catch(() => null) : null;
    users.push({ user: o.user, home: o.home, format: ctx.mailbox.format, exists: exists && stats !== null, size: stats?.size ?? 0, count: stats?.count ?? 0 });
  }
  return { users };
}

async function resolve(ctx: RequestContext, user: string): Promise<Mailbox> {
  const owner = (await mailboxOwners(ctx)).find((o) => o.user === user);
  if (!owner) throw new RequestFailure('not_found', `user: no user ${user} in ${ctx.mailbox.passwdFile} or users/assign`);
  if (owner.refused) throw new RequestFailure('invalid', `user: ${user} ${owner.refused}`);
  return checkedMailbox(ctx, owner);
}

function checkSearch(search: unknown): MailSearchQuery | undefined {
  if (search === undefined) return undefined;
  const parsed = parsePayload(MailSearchQuerySchema, search);
  if (!parsed.ok) {
    throw new RequestFailure('invalid', describeProblems(parsed.problems.map((p) => ({ ...p, path: p.path ? `search.${p.path}` : 'search' }))));
  }
  return parsed.value;
}

type Summary = MailboxListResult['messages'][number];

function summary(id: string, parsed: ParsedMessage, size: number, delivered: Date | null, flags?: string): Summary {
  const date = parsed.date ?? delivered;
  const s: Summary = {
    id,
    date: date ? date.toISOString() : null,
    size,
    from: parsed.from || null,
    to: parsed.to || null,
    subject: parsed.subject || null,
  };
  if (flags !== undefined) s.flags = flags;
  return s;
}

const matches = (raw: Buffer, parsed: ParsedMessage, query: MailSearchQuery) => searchMessages([{ raw, parsed }], query).length === 1;

async function readOwned(path: string, guard: OwnerCheck): Promise<Buffer> {
  const { handle } = await openRegularNoFollow(path, guard);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function listMaildirMessages({ path: dir, guard }: Mailbox, req: MailboxListRequest, query: MailSearchQuery | undefined): Promise<MailboxListResult> {
  const all = await listMaildir(dir, { guard });
  // A reader may move new/X to cur/X:2,… between the listing and the read: find it by id again.
  const read = (m: (typeof all)[number]) =>
    readOwned(join(dir, m.path), guard).catch((err) => {
      if (!isMissing(err)) throw err;
      return readMaildirMessage(dir, m.id, { guard }).catch((e) => {
        if (e instanceof MessageNotFound) return null;
        throw e;
      });
    });
  if (!query) {
    // Without a search only the page's messages are read, and only their headers parsed.
    const page = pageOf(all, req.page, req.perPage);
    const messages: Summary[] = [];
    for (const m of page.items) {
      const raw = await read(m);
      const parsed = raw ? await parseMessage(headerBlock(raw)) : null;
      if (parsed) messages.push(summary(m.id, parsed, m.size, m.mtime, m.flags));
    }
    return { total: page.total, page: page.page, perPage: page.perPage, messages };
  }
  const found: Summary[] = [];
  for (const m of all) {
    const raw = await read(m);
    if (!raw) continue;
    const parsed = await parseMessage(raw);
    if (matches(raw, parsed, query)) found.push(summary(m.id, parsed, m.size, m.mtime, m.flags));
  }
  const page = pageOf(found, req.page, req.perPage);
  return { total: page.total, page: page.page, perPage: page.perPage, messages: page.items };
}

async function listMboxMessages({ path: file, guard, exists }: Mailbox, req: MailboxListRequest, query: MailSearchQuery | undefined): Promise<MailboxListResult> {
  if (!exists) return { total: 0, page: 1, perPage: req.perPage, messages: [] };
  if (!query) {
    const page = pageOf(await listMbox(file, guard), req.page, req.perPage);
    const wanted = new Map(page.items.map((m, i) => [m.id, i]));
    const messages: Array<Summary | undefined> = new Array(page.items.length);
    // One streaming pass picks up the page's messages (readMboxMessage would rescan the file for each).
    for await (const { message, raw } of mboxMessages(file, guard)) {
      const i = wanted.get(message.id);
      if (i !== undefined) messages[i] = summary(message.id, await parseMessage(headerBlock(raw)), message.size, message.date);
    }
    return { total: page.total, page: page.page, perPage: page.perPage, messages: messages.filter((m): m is Summary => m !== undefined) };
  }
  const found: Summary[] = [];
  for await (const { message, raw } of mboxMessages(file, guard)) {
    const parsed = await parseMessage(raw);
    if (matches(raw, parsed, query)) found.push(summary(message.id, parsed, message.size, message.date));
  }
  const page = pageOf(found.reverse(), req.page, req.perPage);
  return { total: page.total, page: page.page, perPage: page.perPage, messages: page.items };
}

/** mailbox.list: newest first, optionally searched as Webmin's Read User Mail searches (QMAIL.md §7), one page. */
export async function listMailbox(ctx: RequestContext, req: MailboxListRequest): Promise<MailboxListResult> {
  const query = checkSearch(req.search);
  const box = await resolve(ctx, req.user);
  return ctx.mailbox.format === 'maildir' ? listMaildirMessages(box, req, query) : listMboxMessages(box, req, query);
}

async function readRaw(ctx: RequestContext, user: string, id: string): Promise<Buffer> {
  const { path, guard } = await resolve(ctx, user);
  try {
    return ctx.mailbox.format === 'maildir' ? await readMaildirMessage(path, id, { guard }) : await readMboxMessage(path, id, guard);
  } catch (err) {
    if (err instanceof MessageNotFound || isMissing(err)) throw new RequestFailure('not_found', `id: ${user} has no message ${id}`);
    throw err;
  }
}

/** mailbox.read: the message parsed with mailparser, bodies cut at BODY_PREVIEW_BYTES. */
export async function readMailboxMessage(ctx: RequestContext, req: { user: string; id: string }): Promise<{ id: string; parsed: Awaited<ReturnType<typeof parseView>> }> {
  return { id: req.id, parsed: await parseView(await readRaw(ctx, req.user, req.id)) };
}

/** mailbox.chunk: the raw message (an mbox message unquoted, without its From_ line) or one attachment. */
export async function mailboxChunk(ctx: RequestContext, req: z.infer<typeof MailboxChunkRequestSchema>): Promise<ChunkResult> {
  return chunkOf(await readRaw(ctx, req.user, req.id), req.part, req.offset, req.length);
}

/** mailbox.delete: Maildir files unlinked; an mbox rewritten in place under qmail-local's flock (QMAIL.md §6). */
export async function deleteMailboxMessages(ctx: RequestContext, req: { user: string; ids: string[] }): Promise<{ deleted: string[]; missing: string[] }> {
  const { path, guard, exists } = await resolve(ctx, req.user);
  return ctx.serialize(async () => {
    const result =
      ctx.mailbox.format === 'maildir'
        ? await deleteMaildirMessages(path, req.ids, { guard })
        : exists
          ? await deleteMboxMessages(path, req.ids, { guard })
          : { deleted: [], missing: [...new Set(req.ids)] };
    ctx.log(`mailbox delete: ${req.user}: deleted ${result.deleted.length}, ${result.missing.length} not found`);
    return result;
  });
}
