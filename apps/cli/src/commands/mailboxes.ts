import type { Command } from 'commander';
import type { MailboxListResult, MailboxUsersResult } from '@qfleet/protocol';
import { UsageError } from '../client';
import { Context } from '../context';
import { bytes, table } from '../output';
import { positiveInt } from './arguments';

/** Reads `--search` as JSON: the advanced search (criteria joined with and/or). */
function parseSearch(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--search: not valid JSON, e.g. {"criteria":[{"field":"subject","op":"contains","value":"invoice"}]}');
  }
}

export function mailboxesCommand(program: Command): void {
  const mailboxes = program.command('mailboxes').description("a host's mailboxes (Maildir or mbox), read through its agent");

  mailboxes
    .command('list')
    .description('the mailboxes that exist: users/assign and passwd homes, and ~alias deliveries')
    .argument('<host>', 'id or name')
    .action(async (arg: string, _opts: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const host = await ctx.host(arg);
      const answer = await ctx.api.get<MailboxUsersResult>(`/api/hosts/${host.id}/mailboxes`);
      ctx.print(answer, () => {
        if (!answer.users.length) return `${host.name}: no mailbox`;
        const rows = answer.users.map((u) => [u.id, u.format === 'maildir' ? 'Maildir' : 'mbox', u.exists ? String(u.count) : '-', u.exists ? bytes(u.size) : '-', u.path]);
        return table(['MAILBOX', 'FORMAT', 'MESSAGES', 'SIZE', 'PATH'], rows);
      });
    });

  mailboxes
    .command('messages')
    .description('messages newest first; --find searches From, Subject and To (or "from: text" one field), --search takes the JSON query')
    .argument('<host>', 'id or name')
    .argument('<mailbox>', 'a user, or alias+<ext> (see mailboxes list)')
    .option('--find <text>', 'the simple search: text in From, Subject or To')
    .option('--search <json>', 'the advanced search: {"criteria":[{"field","op","value"}],"join":"and"|"or"}')
    .option('--page <n>', 'page number', positiveInt, 1)
    .action(async (arg: string, mailbox: string, opts: { find?: string; search?: string; page: number }, cmd: Command) => {
      if (opts.find !== undefined && opts.search !== undefined) throw new UsageError('give --find or --search, not both');
      const ctx = Context.of(cmd);
      const host = await ctx.host(arg);
      const route = `/api/hosts/${host.id}/mailboxes/${encodeURIComponent(mailbox)}`;
      const answer =
        opts.find !== undefined || opts.search !== undefined
          ? await ctx.api.request<MailboxListResult>('POST', `${route}/search`, { page: opts.page, ...(opts.find !== undefined ? { q: opts.find } : { search: parseSearch(opts.search!) }) })
          : await ctx.api.get<MailboxListResult>(`${route}/messages?page=${opts.page}`);
      ctx.print(answer, () => {
        const pages = Math.max(1, Math.ceil(answer.total / answer.perPage));
        const what = opts.find !== undefined || opts.search !== undefined ? 'matching' : 'messages';
        const foot = `${host.name} ${mailbox}: ${answer.total} ${what}, page ${answer.page} of ${pages}`;
        if (!answer.messages.length) return foot;
        const rows = answer.messages.map((m) => [m.date ? m.date.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-', m.from ?? '-', m.subject ?? '(no subject)', bytes(m.size), m.id]);
        return `${table(['DATE (UTC)', 'FROM', 'SUBJECT', 'SIZE', 'ID'], rows)}\n${foot}`;
      });
    });
}
