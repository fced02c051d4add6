import fs from 'node:fs/promises';
import path from 'node:path';

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
  const tmp = path.join(stateDir, `${FILE}.tmp`);
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(creds) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path.join(stateDir, FILE));
}
