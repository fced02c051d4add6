import { copyFile, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a directory, so that a rename or unlink inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Writes a whole file and fsyncs it. The mode is set with chmod because open() applies the
 * umask; the owner is set only when we run as root (a replaced file keeps its owner, Contract).
 */
export async function writeFileDurable(path: string, data: string | Buffer, mode: number, owner?: Owner): Promise<void> {
  const handle = await open(path, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    if (owner && process.getuid?.() === 0) await handle.chown(owner.uid, owner.gid);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Copies a file and fsyncs the copy (the journal's backups must outlive a crash). */
export async function copyFileDurable(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  const handle = await open(to, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** JSON written to a temp name, fsync'd and renamed, so a reader sees the old or the new document. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFileDurable(temp, JSON.stringify(value, null, 2) + '\n', 0o600);
  await rename(temp, path);
  await fsyncDir(dirname(path));
}
