import { mkdir, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assertDirOwnedBy, createExclusiveTemp, openDirNoFollow, openNoFollow, pathAt, UnsafeFile } from '@qfleet/qmail';

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

/** mkdir NAME inside DIR (never through a link: mkdir does not follow one) and open it without following. */
async function subdir(dir: FileHandle, dirPath: string, name: string, mode: number, ownerUid: number | 'any'): Promise<FileHandle> {
  await mkdir(pathAt(dir, name), { mode }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const path = join(dirPath, name);
  const handle = await openDirNoFollow(pathAt(dir, name)).catch((err) => {
    throw err instanceof UnsafeFile ? new UnsafeFile(path, err.reason) : err;
  });
  try {
    await assertDirOwnedBy(handle, path, ownerUid === 'any' ? undefined : ownerUid);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

async function readIfAny(dir: FileHandle, name: string): Promise<string | null> {
  const handle = await openNoFollow(pathAt(dir, name)).catch(() => null);
  if (!handle) return null;
  try {
    return (await handle.stat()).isFile() ? await handle.readFile('utf8') : null;
  } finally {
    await handle.close();
  }
}

/**
 * Installs alias/qfleet/bin/qfleet-{autoreply,filter} (0755) and creates alias/qfleet/track.
 * Deliveries run as the `alias` user (QMAIL.md §3), so the track directory must be its to
 * write: when we are root, it gets the owner of the alias directory. A script is rewritten
 * (temp file, rename) only when its content changed, so a delivery never sees half a file.
 * Returns the names of the scripts written.
 *
 * alias/ belongs to the alias user, who can swap alias/qfleet for a link or a directory of their
 * own: every step goes through a directory descriptor checked by fstat (qfleet/ and bin/ must be
 * ours), and the track directory is chowned through its own descriptor, never by name, so no
 * link can hand a root-owned path to the alias user (issue 10). Refusals name the path.
 */
export async function installDeliveryWrappers(qmailHome: string, agentScriptPath: string, nodePath: string): Promise<WrapperName[]> {
  const aliasDir = join(qmailHome, 'alias');
  const qfleetDir = join(aliasDir, 'qfleet');
  const me = process.getuid?.() ?? 0;
  // Never create ~alias ourselves: its owner and mode 02755 are qmail's to set (QMAIL.md §3).
  const alias = await openDirNoFollow(aliasDir).catch((err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${aliasDir} does not exist: the qmail home has no alias user's home`);
    throw err;
  });
  const open: FileHandle[] = [alias];
  try {
    const owner = await alias.stat();
    const qfleet = await subdir(alias, aliasDir, 'qfleet', 0o755, me);
    open.push(qfleet);
    const bin = await subdir(qfleet, qfleetDir, 'bin', 0o755, me);
    open.push(bin);
    const track = await subdir(qfleet, qfleetDir, 'track', 0o700, 'any');
    open.push(track);
    if (me === 0) await track.chown(owner.uid, owner.gid);
    const written: WrapperName[] = [];
    for (const [name, content] of Object.entries(deliveryWrapperScripts(agentScriptPath, nodePath)) as [WrapperName, string][]) {
      if ((await readIfAny(bin, name)) === content) continue;
      const temp = await createExclusiveTemp(bin, `.${name}.tmp.`, 0o755);
      try {
        await temp.handle.writeFile(content);
        await temp.handle.sync();
      } finally {
        await temp.handle.close();
      }
      await rename(temp.path, pathAt(bin, name));
      written.push(name);
    }
    return written;
  } finally {
    for (const h of open.reverse()) await h.close();
  }
}
