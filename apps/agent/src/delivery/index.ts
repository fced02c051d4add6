import { runAutoreply } from './autoreply';
import { runFilter } from './filter';
import { execInject, qmailHomeFrom } from './inject';

export { runAutoreply, reasonNotToReply, composeReply, type AutoreplyRun } from './autoreply';
export { runFilter, ruleMatches, chooseTarget, type FilterRun } from './filter';
export { execInject, injectArgs, type Inject, type InjectResult } from './inject';
export { deliveryWrapperScripts, installDeliveryWrappers, type WrapperName } from './wrappers';

const USAGE = 'usage: qfleet-agent autoreply FILE | qfleet-agent filter FILE';

/**
 * The agent bundle doubles as the delivery programs that `.qmail` lines run:
 * `node main.js autoreply FILE` and `node main.js filter FILE`. Returns null for any other
 * argv (the agent itself), else the exit code for qmail-local (QMAIL.md §3).
 */
export async function runDeliveryCommand(argv: string[]): Promise<number | null> {
  const [command, file, ...rest] = argv;
  if (command !== 'autoreply' && command !== 'filter') return null;
  if (!file || rest.length) {
    // A broken .qmail line: 111 keeps the mail queued until someone fixes it.
    process.stderr.write(`qfleet-${command}: ${USAGE}\n`);
    return 111;
  }
  const env = process.env;
  const cwd = process.cwd();
  const inject = execInject(qmailHomeFrom(env, cwd), env);
  const run = { file, env, cwd, stdin: process.stdin, inject };
  try {
    return command === 'autoreply' ? await runAutoreply(run) : await runFilter(run);
  } catch (e) {
    process.stderr.write(`qfleet-${command}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 111;
  }
}
