import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { AutoreplySchema, type Autoreply } from '@qfleet/protocol';
import type { ParsedMail } from 'mailparser';
import { InvalidDeliveryFile, readDeliveryFile } from './config-file';
import { injectArgs, qmailHomeFrom, type Inject } from './inject';
import { parseMessage, rawHeaderValues, readMessage } from './message';
import { readReplyLog, recordReply, repliedRecently, writeReplyLog } from './reply-tracking';
import { visibleAddress } from './reply-address';

export interface AutoreplyRun {
  /** `qfleet/EXT.autoreply`, relative to cwd */
  file: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  inject: Inject;
  /** the alias home qmail-local ran us in; default process.cwd() */
  cwd?: string;
  now?: () => Date;
  log?: (line: string) => void;
}

/**
 * Why not to answer, or null. Loop safety first (QMAIL.md §7: never bulk, list,
 * Auto-Submitted or MAILER-DAEMON mail; RFC 3834 §2): an empty sender or `#@[]` is a bounce,
 * `-owner`/`owner-`/`-request` senders are list and owner addresses (QMAIL.md §3, owner files).
 */
export function reasonNotToReply(sender: string, mail: ParsedMail): string | null {
  if (sender === '' || sender === '#@[]') return 'the sender is empty (a bounce)';
  if (/[\s<>()",;\\]/.test(sender)) return 'the sender is not a plain address';
  const local = (sender.includes('@') ? sender.slice(0, sender.lastIndexOf('@')) : sender).toLowerCase();
  if (local === 'mailer-daemon') return 'the sender is MAILER-DAEMON';
  if (local.startsWith('owner-') || local.endsWith('-owner') || local.endsWith('-request')) return 'the sender is a list address';
  const first = (name: string) => rawHeaderValues(mail, name).map((v) => v.toLowerCase());
  if (first('auto-submitted').some((v) => v.split(/[;(\s]/)[0] !== 'no')) return 'the message is Auto-Submitted';
  if (first('precedence').some((v) => ['bulk', 'list', 'junk'].includes(v))) return 'the message has Precedence bulk, list or junk';
  for (const h of ['list-id', 'list-unsubscribe', 'list-post', 'mailing-list']) if (first(h).length) return `the message has ${h}`;
  if (first('x-loop').some((v) => v.includes('qfleet'))) return 'the message has X-Loop: qfleet';
  if (first('x-auto-response-suppress').some((v) => /\b(all|oof|autoreply)\b/.test(v))) return 'the message asks for no automatic reply';
  return null;
}

/** RFC 2047 `B` encoding of a header value that is not plain ASCII, in words of ≤ 75 chars. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\n ');
}

/**
 * The reply. Marked `Auto-Submitted: auto-replied` (RFC 3834 §5) and `X-Loop: qfleet` so
 * that neither we nor other responders answer it; Date and Message-ID are added by qmail-inject.
 */
export function composeReply(autoreply: Autoreply, from: string, sender: string, mail: ParsedMail): string {
  const lines = [`From: ${autoreply.from ?? from}`, `To: <${sender}>`, `Subject: ${encodeHeaderValue(autoreply.subject)}`];
  if (mail.messageId) {
    const refs = rawHeaderValues(mail, 'references').join(' ');
    lines.push(`In-Reply-To: ${mail.messageId}`, `References: ${refs ? `${refs} ` : ''}${mail.messageId}`);
  }
  lines.push('Auto-Submitted: auto-replied', 'X-Loop: qfleet', 'Precedence: bulk', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
  const body = autoreply.body.replace(/\r\n?/g, '\n');
  return `${lines.join('\n')}\n\n${body}${body.endsWith('\n') ? '' : '\n'}`;
}

/** `qfleet/EXT.autoreply` → `qfleet/track/EXT`: one log per autoreply file. */
export function trackPath(file: string): string {
  return join(dirname(file), 'track', basename(file).replace(/\.autoreply$/, ''));
}

async function readVirtualdomains(qmailHome: string): Promise<string | undefined> {
  return readFile(join(qmailHome, 'control', 'virtualdomains'), 'utf8').catch(() => undefined);
}

/**
 * `|qfleet/bin/qfleet-autoreply qfleet/EXT.autoreply`. Exits 0 whether it replied or not:
 * the alias's other lines deliver the message (QMAIL.md §3). A bad file or a failed
 * qmail-inject exits 111, a temporary failure, so the message waits rather than vanishes.
 */
export async function runAutoreply(run: AutoreplyRun): Promise<number> {
  const log = run.log ?? ((line: string) => process.stderr.write(`qfleet-autoreply: ${line}\n`));
  const cwd = run.cwd ?? process.cwd();
  const file = resolve(cwd, run.file);
  let autoreply: Autoreply;
  try {
    autoreply = await readDeliveryFile(file, AutoreplySchema);
  } catch (e) {
    if (e instanceof InvalidDeliveryFile) {
      log(e.message);
      return 111;
    }
    throw e;
  }
  const sender = run.env['SENDER'] ?? '';
  const mail = await parseMessage(await readMessage(run.stdin), { body: false });
  const reason = reasonNotToReply(sender, mail);
  if (reason) {
    // On success qmail-local puts this text in qmail-send's log line, so an operator sees why.
    log(`no reply to ${sender || '<>'}: ${reason}`);
    return 0;
  }

  const nowSec = Math.floor((run.now?.() ?? new Date()).getTime() / 1000);
  const track = trackPath(file);
  const replyLog = await readReplyLog(track).catch((e: Error) => {
    log(`reply tracking ${track} unreadable, starting afresh: ${e.message}`);
    return {};
  });
  if (repliedRecently(replyLog, sender, nowSec, autoreply.periodSec)) {
    log(`no reply to ${sender}: already replied within ${autoreply.periodSec} s`);
    return 0;
  }

  const qmailHome = qmailHomeFrom(run.env, cwd);
  const from = visibleAddress(run.env['LOCAL'] ?? 'alias', run.env['HOST'] ?? 'localhost', await readVirtualdomains(qmailHome));
  // Null envelope sender: a bounce of the reply must not reach any responder (RFC 3834 §3.1.1).
  const result = await run.inject(injectArgs('', [sender]), Buffer.from(composeReply(autoreply, from, sender, mail)));
  if (result.exitCode === 100) {
    // qmail-inject refuses the address for good; retrying cannot help and the message is still delivered.
    log(`qmail-inject refused the reply to ${sender}: ${result.stderr.trim()}`);
    return 0;
  }
  if (result.exitCode !== 0) {
    log(`qmail-inject failed (exit ${result.exitCode}) replying to ${sender}: ${result.stderr.trim()}`);
    return 111;
  }
  await writeReplyLog(track, recordReply(replyLog, sender, nowSec, autoreply.periodSec)).catch((e: Error) => log(`cannot record the reply in ${track}: ${e.message}`));
  return 0;
}
