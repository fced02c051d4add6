import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DOT_QMAIL_PREFIX } from '@qfleet/protocol';
import { ALIAS_DIR, assignLookup, lowerAscii, parseAssign, passwdOwner, type PasswdAccount } from '@qfleet/qmail';

/**
 * The half of "aliases qmail never reads" only the host can see (issue 12, point 1): a passwd
 * account qmail-getpw accepts takes its name (and name-ext) before qmail falls back to ~alias
 * (QMAIL.md §2, §3: "an alias cannot override a real user"). The controller already warns about
 * users/assign; this checks the accounts of this host's passwd, with their homes as they are.
 */

const readOptional = (file: string) => readFile(file, 'utf8').catch((err) => ((err as NodeJS.ErrnoException).code === 'ENOENT' ? '' : Promise.reject(err)));

function passwdAccounts(content: string): Map<string, Omit<PasswdAccount, 'homeOwner'>> {
  const out = new Map<string, Omit<PasswdAccount, 'homeOwner'>>();
  for (const line of content.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !f[0] || !/^[0-9]+$/.test(f[2] ?? '') || out.has(f[0])) continue;
    out.set(f[0], { name: f[0], uid: Number(f[2]), home: f[5] ?? '' });
  }
  return out;
}

/**
 * One line per alias file whose address a passwd user takes: `alias/.qmail-joe` with a user joe
 * whose home exists and is his. The local part is the file's ext with `:` back to `.` (§3);
 * `default` files catch what no user takes, so they are not checked. An address users/assign
 * claims never reaches qmail-getpw, so it is left to the controller's warning.
 */
export async function passwdShadowedAliases(qmailHome: string, passwdFile: string, aliasFiles: readonly string[]): Promise<string[]> {
  const accounts = passwdAccounts(await readOptional(passwdFile));
  if (accounts.size === 0) return [];
  const assigned = assignLookup(parseAssign(await readOptional(join(qmailHome, 'users/assign'))).entries);
  const owners = new Map<string, number | undefined>();
  const account = (name: string): PasswdAccount | undefined => {
    const a = accounts.get(name);
    return a && { ...a, homeOwner: owners.get(a.home) };
  };
  const prefix = `${ALIAS_DIR}/${DOT_QMAIL_PREFIX}`;
  const lines: string[] = [];
  for (const file of aliasFiles) {
    if (!file.startsWith(prefix) || file.includes('/', prefix.length)) continue;
    const local = file.slice(prefix.length).replace(/:/g, '.');
    if (local === '' || local === 'default' || local.endsWith('-default') || assigned(local)) continue;
    // Only the homes of names this local part could be are looked at (qmail-getpw tries each part before a '-').
    for (let end = local.length; end > 0; end--) {
      if (end !== local.length && local[end] !== '-') continue;
      const a = accounts.get(lowerAscii(local.slice(0, end)));
      if (a && !owners.has(a.home)) owners.set(a.home, await stat(a.home).then((st) => (st.isDirectory() ? st.uid : undefined), () => undefined));
    }
    const owner = passwdOwner(local, account);
    if (!owner) continue;
    const target = `${owner.account.home}/.qmail${owner.ext ? `-${lowerAscii(owner.ext).replace(/\./g, ':')}` : ''}`;
    lines.push(`${file} is never read: passwd user ${owner.account.name} takes ${lowerAscii(local)} first (qmail-getpw), through ${target}`);
  }
  return lines;
}
