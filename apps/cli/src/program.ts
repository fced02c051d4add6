import { Command, Option } from 'commander';
import { hostsCommand } from './commands/hosts';
import { configCommand } from './commands/config';
import { queueCommand } from './commands/queue';
import { mailboxesCommand } from './commands/mailboxes';
import { actionsCommand } from './commands/actions';
import { tokensCommand } from './commands/tokens';
import { rolloutsCommand } from './commands/rollouts';

export const CLI_VERSION = '0.1.0';

/** `qfleet [--url URL] [--token T] [--json] <command>`: the REST API from a shell (DESIGN.md "Interfaces"). */
export function buildProgram(): Command {
  const program = new Command('qfleet')
    .description('qfleet: qmail configuration for a fleet of mail servers, from the command line')
    .version(CLI_VERSION)
    .addOption(new Option('--url <url>', 'controller URL').env('QFLEET_URL').default('http://localhost:3000'))
    .addOption(new Option('--token <token>', 'API token').env('QFLEET_TOKEN'))
    .option('--json', "print the controller's JSON answer as is")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`qfleet: ${str.replace(/^error: /, '')}`) });
  hostsCommand(program);
  configCommand(program);
  queueCommand(program);
  mailboxesCommand(program);
  actionsCommand(program);
  tokensCommand(program);
  rolloutsCommand(program);
  return program;
}
