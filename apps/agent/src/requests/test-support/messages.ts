import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noServiceBackend, type ServiceBackend } from '../../post-steps';
import type { MailboxSettings, RequestContext } from '../context';

/** A plain message as a client hands it to qmail-inject. */
export function plainMessage(o: { from: string; to: string; subject: string; body?: string; date?: Date }): string {
  return (
    `From: ${o.from}\nTo: ${o.to}\nSubject: ${o.subject}\n` +
    `Date: ${(o.date ?? new Date('2024-03-14T09:12:44Z')).toUTCString()}\nMessage-ID: <${Math.random().toString(36).slice(2)}@test>\n\n` +
    `${o.body ?? 'Hello.\n'}`
  );
}

/** A multipart/mixed message with a text part and one base64 attachment. */
export function messageWithAttachment(o: { from: string; to: string; subject: string; text: string; filename: string; content: Buffer }): string {
  const b64 = o.content.toString('base64').replace(/.{76}/g, '$&\n');
  return (
    `From: ${o.from}\nTo: ${o.to}\nSubject: ${o.subject}\nDate: Thu, 14 Mar 2024 09:12:44 +0000\nMIME-Version: 1.0\n` +
    `Content-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n${o.text}\n` +
    `--b1\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="${o.filename}"\n` +
    `Content-Transfer-Encoding: base64\n\n${b64}\n--b1--\n`
  );
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A request context whose serialize runs at once (no apply in progress) and whose log is kept. */
export function testContext(
  qmailHome: string,
  o: { service?: ServiceBackend; mailbox?: Partial<MailboxSettings>; serviceTimeoutMs?: number } = {},
): RequestContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    qmailHome,
    service: o.service ?? noServiceBackend,
    mailbox: { format: 'maildir', maildirName: 'Maildir', mboxName: 'Mailbox', passwdFile: join(qmailHome, 'passwd'), ...o.mailbox },
    log: (line) => lines.push(line),
    serialize: (fn) => fn(),
    serviceTimeoutMs: o.serviceTimeoutMs,
    lines,
  };
}
