import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../post-steps/exec-file';

/** A stand-in qmail-send under Debian's real supervise; its run script records starts and HUPs
 * (the trap is set before "start" is written, so a HUP sent after the start is always caught). */
export async function superviseStandIn(root: string): Promise<{ dir: string; events: () => Promise<string[]>; supervise: ChildProcess; stop: () => Promise<void> }> {
  const dir = join(root, 'service/qmail-send');
  const eventsFile = join(root, 'events');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'run'),
    `#!/bin/sh\ntrap 'echo hup >> ${eventsFile}' HUP\necho "start $$" >> ${eventsFile}\nwhile :; do sleep 1 & wait $!; done\n`,
  );
  await chmod(join(dir, 'run'), 0o755);
  const supervise = spawn('supervise', [dir], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => supervise.once('exit', () => r()));
  const events = async () => (await readFile(eventsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    dir,
    events,
    supervise,
    stop: async () => {
      await run('svc', ['-dx', dir]).catch(() => undefined);
      await exited;
    },
  };
}

