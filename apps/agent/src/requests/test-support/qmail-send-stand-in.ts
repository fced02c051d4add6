import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../post-steps/exec-file';

export interface QmailSendStandIn {
  dir: string;
  /** What the run script logged, in order: `start`, `term`, `exit`, `alrm`, and `start`/`term` with ` message-present|message-absent` when watching. */
  events: () => Promise<string[]>;
  /** From now on, `start` and `term` say whether this file exists at that moment. */
  watch: (file: string) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * A stand-in qmail-send under the real daemontools `supervise`. Like qmail-send (QMAIL.md §5) it
 * takes a moment to exit after TERM ("finishing deliveries"), and it logs ALRM. Its log tells the
 * order in which the agent stopped and started it, and whether a watched queue file existed then.
 */
export async function qmailSendStandIn(root: string, termDelaySec = 1): Promise<QmailSendStandIn> {
  const dir = join(root, 'service/qmail-send');
  const eventsFile = join(root, 'events');
  const watchFile = join(root, 'watch');
  await mkdir(dir, { recursive: true });
  const seen = `W=$(cat '${watchFile}' 2>/dev/null); if [ -n "$W" ]; then if [ -e "$W" ]; then S=' message-present'; else S=' message-absent'; fi; else S=''; fi`;
  await writeFile(
    join(dir, 'run'),
    [
      '#!/bin/sh',
      `trap 'echo alrm >> ${eventsFile}' ALRM`,
      `trap '${seen.replace(/'/g, `'"'"'`)}; echo "term$S" >> ${eventsFile}; sleep ${termDelaySec}; echo exit >> ${eventsFile}; exit 0' TERM`,
      seen,
      `echo "start$S" >> ${eventsFile}`,
      'while :; do sleep 1 & wait $!; done',
      '',
    ].join('\n'),
  );
  await chmod(join(dir, 'run'), 0o755);
  const supervise = spawn('supervise', [dir], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => supervise.once('exit', () => r()));
  const events = async () => (await readFile(eventsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    dir,
    events,
    watch: (file) => writeFile(watchFile, file),
    stop: async () => {
      await run('svc', ['-dx', dir]).catch(() => undefined);
      await exited;
    },
  };
}

