import fs from 'node:fs/promises';
import path from 'node:path';
import { createExclusiveTemp } from '@qfleet/qmail';

/** The per-host secret the controller gave at enrolment, kept mode 0600 (DESIGN.md Contract). */
export interface Credentials {
  hostId: string;
  secret: string;
}

const FILE = 'credentials.json';

export async function readCredentials(stateDir: string): Promise<Credentials | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(stateDir, FILE), 'utf8')) as Partial<Credentials>;
    return parsed.hostId && parsed.secret ? { hostId: parsed.hostId, secret: parsed.secret } : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function writeCredentials(stateDir: string, creds: Credentials): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  // A new file under a random name (O_EXCL|O_NOFOLLOW), 0600 from its creation: a link planted
  // at a fixed temp name would have the secret written wherever it points.
  const tmp = await createExclusiveTemp(stateDir, `.${FILE}.tmp.`, 0o600);
  try {
    await tmp.handle.writeFile(JSON.stringify(creds) + '\n');
    await tmp.handle.sync();
  } finally {
    await tmp.handle.close();
  }
  await fs.rename(tmp.path, path.join(stateDir, FILE));
}
