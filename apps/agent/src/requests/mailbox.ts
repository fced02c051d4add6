import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { z } from 'zod';
import {
  describeProblems,
  parsePayload,
  type ChunkResult,
  type MailboxChunkRequestSchema,
  type MailboxFormat,
  type MailboxListRequest,
  type MailboxListResult,
  type MailboxLocation,
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
  parseMessage,
  readMaildirMessage,
  readMboxMessage,
  searchMessages,
  simpleSearchQuery,
  type MailSearchQuery,
  type OwnerCheck,
  type ParsedMessage,
} from '@qfleet/qmail';
import { discoverMailboxes, findMailbox } from '../mailboxes/discover';
import { RequestFailure, type RequestContext } from './context';
import { chunkOf, headerBlock, parseView } from './message-view';

/**
 * The mailbox requests, as Webmin's Read User Mail module offers them (QMAIL.md §7) but reading
 * only: nothing is renamed from new/ to cur/ (Webmin does, §7), and an mbox is edited only under
 * qmail-local's own flock (DESIGN.md "The agent").
 */

type MailboxUser = MailboxUsersResult['users'][number];

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
const inside = (root: string, p: string) => p === root || p.startsWith(root + sep);
const realOrNull = (p: string) => realpath(p).catch(() => null);

/** A mailbox as it is safe to open: its real path, its format and the uid every file in it must belong to. */
interface Mailbox {
  path: string;
  format: MailboxFormat;
  guard: OwnerCheck;
  exists: boolean;
}

/**
 * The mailbox, checked. A home's mailbox must resolve inside the real home (the user owns it and
 * anything in it may be a link): the Maildir (and its cur/, new/, tmp/) or the mbox's directory.
 * An alias delivery is named by a root-owned `.qmail-` file and may be anywhere; its Maildir's
 * subdirectories must stay inside it. The files themselves are then opened with O_NOFOLLOW and
 * must belong to the mailbox's uid (libs/qmail safe-fs), which also defeats hard links to other
 * users' files.
 */
async function checkedMailbox(box: MailboxLocation): Promise<Mailbox> {
  const guard = { uid: box.uid };
  const root = box.source === 'alias' ? null : await realOrNull(box.home);
  const st = await lstat(box.path).catch(() => null);
  if ((box.source !== 'alias' && !root) || !st) return { path: box.path, format: box.format, guard, exists: false };
  const outside = (p: string, real: string, within: string) => new RequestFailure('failed', `${p}: leads outside ${within} (to ${real}); refused`);
  const home = `the home ${box.home} of ${box.user}`;
  if (box.format === 'maildir') {
    const real = (await realOrNull(box.path)) ?? box.path;
    if (root && !inside(root, real)) throw outside(box.path, real, home);
    for (const sub of ['cur', 'new', 'tmp']) {
      const r = await realOrNull(join(real, sub));
      if (r && !inside(root ?? real, r)) throw outside(join(box.path, sub), r, root ? home : box.path);
    }
    return { path: real, format: 'maildir', guard, exists: (await lstat(real).catch(() => null))?.isDirectory() ?? false };
  }
  // The mbox itself is opened with O_NOFOLLOW (a link is refused, never rewritten); its directory must be the home's.
  const dir = (await realOrNull(dirname(box.path))) ?? dirname(box.path);
  if (root && !inside(root, dir)) throw outside(dirname(box.path), dir, home);
  return { path: join(dir, basename(box.path)), format: 'mbox', guard, exists: !st.isDirectory() };
}

/** mailbox.users: each mailbox that exists, its format detected, with size and count as Webmin computes them (QMAIL.md §6). */
export async function mailboxUsers(ctx: RequestContext): Promise<MailboxUsersResult> {
  const users: MailboxUser[] = [];
  for (const loc of await discoverMailboxes(ctx)) {
    const box = await checkedMailbox(loc).catch(() => null);
    const exists = box?.exists ?? false;
    const stats = box && exists ? await (box.format === 'maildir' ? maildirStats(box.path, box.guard) : mboxStats(box.path, box.guard)).catch(() => null) : null;
    const u: MailboxUser = { id: loc.id, user: loc.user, home: loc.home, path: loc.path, format: loc.format, source: loc.source, exists: exists && stats !== null, size: stats?.size ?? 0, count: stats?.count ?? 0 };
    if (loc.dotQmail) u.dotQmail = loc.dotQmail;
    users.push(u);
  }
  return { users };
}

async function resolve(ctx: RequestContext, id: string): Promise<Mailbox> {
  const found = await findMailbox(ctx, id);
  if (!found) throw new RequestFailure('not_found', `user: no mailbox ${id} (no Maildir or mbox of that user, in ${ctx.mailbox.passwdFile}, users/assign or ~alias/.qmail-*)`);
  if ('refused' in found) throw new RequestFailure('invalid', `user: ${id} ${found.refused}`);
  return checkedMailbox(found);
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
  if (req.search !== undefined && req.q !== undefined) throw new RequestFailure('invalid', 'q: give the simple search (q) or the advanced one (search), not both');
  const query = req.q !== undefined ? simpleSearchQuery(req.q) : checkSearch(req.search);
  const box = await resolve(ctx, req.user);
  return box.format === 'maildir' ? listMaildirMessages(box, req, query) : listMboxMessages(box, req, query);
}

async function readRaw(ctx: RequestContext, user: string, id: string): Promise<Buffer> {
  const { path, guard, format } = await resolve(ctx, user);
  try {
    return format === 'maildir' ? await readMaildirMessage(path, id, { guard }) : await readMboxMessage(path, id, guard);
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
  const { path, guard, exists, format } = await resolve(ctx, req.user);
  return ctx.serialize(async () => {
    const result =
      format === 'maildir'
        ? await deleteMaildirMessages(path, req.ids, { guard })
        : exists
          ? await deleteMboxMessages(path, req.ids, { guard })
          : { deleted: [], missing: [...new Set(req.ids)] };
    ctx.log(`mailbox delete: ${req.user}: deleted ${result.deleted.length}, ${result.missing.length} not found`);
    return result;
  });
}
