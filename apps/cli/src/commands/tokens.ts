import { Argument, type Command } from 'commander';
import { API_ROLES, type ApiTokenView, type CreatedApiToken } from '@qfleet/protocol';
import { Context } from '../context';
import { ago, table } from '../output';

export function tokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('API tokens for people and scripts (admin only)');

  tokens
    .command('list')
    .description('every API token, without its secret')
    .action(async (_: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const list = await ctx.api.get<ApiTokenView[]>('/api/tokens');
      ctx.print(list, () =>
        table(
          ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED'],
          list.map((t) => [t.id, t.name, t.role, t.createdAt.slice(0, 10), t.lastUsed ? ago(t.lastUsed) : '-']),
        ),
      );
    });

  tokens
    .command('create')
    .description('create a token; its secret is printed only this once')
    .argument('<name>', 'who or what uses it, e.g. "ci deploy"')
    .addArgument(new Argument('<role>', 'viewer reads, operator changes, admin manages tokens and hosts').choices(API_ROLES))
    .action(async (name: string, role: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const created = await ctx.api.request<CreatedApiToken>('POST', '/api/tokens', { name, role });
      ctx.print(created, () => `created token "${created.name}" (${created.role}, id ${created.id})\ntoken (shown only this once): ${created.token}`);
    });

  tokens
    .command('delete')
    .description('revoke a token at once')
    .argument('<id>', 'the token id, from tokens list')
    .action(async (id: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      await ctx.api.request<void>('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
      ctx.print({ id, deleted: true }, () => `deleted token ${id}`);
    });
}
