import { Argument, type Command } from 'commander';
import { ACTIONS } from '@qfleet/protocol';
import { Context } from '../context';
import { json } from '../output';

export function actionsCommand(program: Command): void {
  program
    .command('actions')
    .description('run a qmail-send action on a host through its agent')
    .argument('<host>', 'id or name')
    .addArgument(new Argument('<action>', 'what to do').choices(ACTIONS))
    .action(async (arg: string, action: string, _: unknown, cmd: Command) => {
      const ctx = Context.of(cmd);
      const { host, answer: result } = await ctx.onHost<unknown>(arg, 'POST', '/actions', { action });
      ctx.print(result, () => `${host.name}: ${action} done${result === undefined || result === null ? '' : `\n${json(result)}`}`);
    });
}
