import { chmod, chown, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type WrapperName = 'qfleet-autoreply' | 'qfleet-filter';

/** Single quotes keep `$`, backquotes and spaces in a path literal to sh. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The programs the `.qmail` lines name. qmail-local runs them with `sh -c` (QMAIL.md §3), so
 * a two-line script that execs the agent bundle is all it takes.
 */
export function deliveryWrapperScripts(agentScriptPath: string, nodePath: string): Record<WrapperName, string> {
  const script = (command: string) => `#!/bin/sh\n# installed by qfleet-agent: ${command} for an alias's .qmail line\nexec ${shQuote(nodePath)} ${shQuote(agentScriptPath)} ${command} "$@"\n`;
  return { 'qfleet-autoreply': script('autoreply'), 'qfleet-filter': script('filter') };
}

/**
 * Installs alias/qfleet/bin/qfleet-{autoreply,filter} (0755) and creates alias/qfleet/track.
 * Deliveries run as the `alias` user (QMAIL.md §3), so the track directory must be its to
 * write: when we are root, it gets the owner of the alias directory. A script is rewritten
 * (temp file, rename) only when its content changed, so a delivery never sees half a file.
 * Returns the names of the scripts written.
 */
export async function installDeliveryWrappers(qmailHome: string, agentScriptPath: string, nodePath: string): Promise<WrapperName[]> {
  const aliasDir = join(qmailHome, 'alias');
  const binDir = join(aliasDir, 'qfleet', 'bin');
  const trackDir = join(aliasDir, 'qfleet', 'track');
  // Never create ~alias ourselves: its owner and mode 02755 are qmail's to set (QMAIL.md §3).
  const owner = await stat(aliasDir).catch(() => {
    throw new Error(`${aliasDir} does not exist: the qmail home has no alias user's home`);
  });
  await mkdir(binDir, { recursive: true, mode: 0o755 });
  await mkdir(trackDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) await chown(trackDir, owner.uid, owner.gid);
  const written: WrapperName[] = [];
  for (const [name, content] of Object.entries(deliveryWrapperScripts(agentScriptPath, nodePath)) as [WrapperName, string][]) {
    const path = join(binDir, name);
    const current = await readFile(path, 'utf8').catch(() => null);
    if (current === content) continue;
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, content, { mode: 0o755 });
    await chmod(temp, 0o755); // writeFile's mode is subject to the umask
    await rename(temp, path);
    written.push(name);
  }
  return written;
}
