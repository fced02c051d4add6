import 'reflect-metadata';
import { runCommand } from './commands';

runCommand(process.argv.slice(2)).catch((e) => {
  // A bad setting or a locked database stops the process with one readable line.
  console.error(`qfleet-controller: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
