import { Option, type Command } from 'commander';
import { QUEUE_SORTS, type QueueListResult } from '@qfleet/protocol';
import { Context } from '../context';
import { bytes, table } from '../output';
import { positiveInt } from './arguments';

export function queueCommand(program: Command): void {
  const queue = program.command('queue').description("a host's mail queue, as qmail-qread sees it");

  queue
    .command('list')
    .description('queued messages, newest first')
    .argument('<host>', 'id or name')
    .option('--page <n>', 'page number', positiveInt, 1)
    .addOption(new Option('--sort <key>', 'sort by').choices(QUEUE_SORTS).default('date'))
    .action(async (arg: string, opts: { page: number; sort: string }, cmd: Command) => {
      const ctx = Context.of(cmd);
      const q = new URLSearchParams({ page: String(opts.page), sort: opts.sort });
      const { host, answer } = await ctx.onHost<QueueListResult>(arg, 'GET', `/queue?${q}`);
      ctx.print(answer, () => {
        const pages = Math.max(1, Math.ceil(answer.total / answer.perPage));
        const foot = `${host.name}: ${answer.total} message${answer.total === 1 ? '' : 's'}, page ${answer.page} of ${pages}`;
        if (!answer.messages.length) return foot;
        const rows = answer.messages.map((m) => {
          const waiting = m.recipients.filter((r) => !r.done);
          const shown = waiting.length ? waiting : m.recipients;
          return [
            String(m.id),
            m.queuedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''),
            bytes(m.size),
            m.sender || '<>',
            `${shown[0]?.address ?? '-'}${shown.length > 1 ? ` (+${shown.length - 1})` : ''}`,
            m.bouncing ? 'bounce' : '',
          ];
        });
        return `${table(['ID', 'QUEUED (UTC)', 'SIZE', 'SENDER', 'RECIPIENTS', ''], rows)}\n${foot}`;
      });
    });
}
