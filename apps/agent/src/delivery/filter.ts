import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { FilterSchema, type Filter, type FilterRule } from '@qfleet/protocol';
import type { ParsedMail } from 'mailparser';
import { InvalidDeliveryFile, readDeliveryFile } from './config-file';
import { injectArgs, type Inject } from './inject';
import { deliverMaildir as realDeliverMaildir, deliverMbox as realDeliverMbox, deliveryPrefix, fromLine, mboxEntry } from './mailbox';
import { addressText, parseMessage, rawHeaderValues, readMessage } from './message';

export interface FilterRun {
  /** `qfleet/EXT.filter`, relative to cwd */
  file: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  inject: Inject;
  deliverMaildir?: (dir: string, data: Buffer) => Promise<unknown>;
  deliverMbox?: (path: string, entry: Buffer) => Promise<void>;
  /** the alias home qmail-local ran us in; relative targets resolve against it */
  cwd?: string;
  now?: () => Date;
  log?: (line: string) => void;
}

type Target = Filter['otherwise'];

/**
 * The text a rule searches. Header fields are decoded (RFC 2047) and, for `header`, the raw
 * values of every occurrence are searched too, so that a rule written against either form matches.
 */
export function fieldText(mail: ParsedMail, rule: Pick<FilterRule, 'field' | 'header'>): string {
  switch (rule.field) {
    case 'from':
      return addressText(mail.from);
    case 'to':
      return addressText(mail.to);
    case 'cc':
      return addressText(mail.cc);
    case 'subject':
      return mail.subject ?? '';
    case 'body':
      return mail.text ?? '';
    case 'header': {
      const name = (rule.header ?? '').toLowerCase();
      const decoded = mail.headers.get(name);
      const decodedText = typeof decoded === 'string' ? [decoded] : Array.isArray(decoded) ? decoded.filter((d): d is string => typeof d === 'string') : [];
      return [...rawHeaderValues(mail, name), ...decodedText].join('\n');
    }
  }
}

/** Literal and case-insensitive, as Webmin's search matches (QMAIL.md §7); `negate` inverts. */
export function ruleMatches(mail: ParsedMail, rule: FilterRule): boolean {
  const found = fieldText(mail, rule).toLowerCase().includes(rule.contains.toLowerCase());
  return rule.negate ? !found : found;
}

/** The first rule that matches routes the message; none does, `otherwise` does. */
export function chooseTarget(mail: ParsedMail, filter: Filter): Target {
  return filter.rules.find((r) => ruleMatches(mail, r)) ?? filter.otherwise;
}

/** What the schema leaves open but routing needs: a header name, a destination. */
function checkTargets(filter: Filter): string[] {
  const problems: string[] = [];
  const check = (t: Target, where: string) => {
    if (t.action !== 'discard' && t.action !== 'deliver' && !t.to) problems.push(`${where}: ${t.action} needs "to"`);
  };
  filter.rules.forEach((r, i) => {
    if (r.field === 'header' && !r.header) problems.push(`rules.${i}: field header needs "header"`);
    check(r, `rules.${i}`);
  });
  check(filter.otherwise, 'otherwise');
  return problems;
}

/**
 * `|qfleet/bin/qfleet-filter qfleet/EXT.filter`, the alias's first line. Exit codes follow
 * qmail-local (QMAIL.md §3): 99 when the filter delivered (or discarded) the message, so the
 * remaining lines are skipped; 0 for `deliver`, so they run; 111 on any failure, so qmail
 * retries later instead of losing the message.
 */
export async function runFilter(run: FilterRun): Promise<number> {
  const log = run.log ?? ((line: string) => process.stderr.write(`qfleet-filter: ${line}\n`));
  const cwd = run.cwd ?? process.cwd();
  const file = resolve(cwd, run.file);
  let filter: Filter;
  try {
    filter = await readDeliveryFile(file, FilterSchema);
    const problems = checkTargets(filter);
    if (problems.length) throw new InvalidDeliveryFile(file, problems.join('; '));
  } catch (e) {
    if (e instanceof InvalidDeliveryFile) {
      log(e.message);
      return 111;
    }
    throw e;
  }

  const message = await readMessage(run.stdin);
  const mail = await parseMessage(message, { body: filter.rules.some((r) => r.field === 'body') });
  const target = chooseTarget(mail, filter);
  const to = target.to ?? '';
  try {
    switch (target.action) {
      case 'deliver':
        return 0;
      case 'discard':
        log('discarded');
        return 99;
      case 'forward': {
        // qmail-local's own forwarding keeps the envelope sender (NEWSENDER after owner
        // handling) and prepends DTLINE, whose Delivered-To stops a forwarding loop (QMAIL.md §3).
        const sender = run.env['NEWSENDER'] ?? run.env['SENDER'] ?? '';
        const result = await run.inject(injectArgs(sender, [to]), Buffer.concat([Buffer.from(run.env['DTLINE'] ?? ''), message]));
        if (result.exitCode === 0) {
          log(`forwarded to ${to}`);
          return 99;
        }
        log(`qmail-inject failed (exit ${result.exitCode}) forwarding to ${to}: ${result.stderr.trim()}`);
        // 100 is qmail-inject's "never going to work" (qmail-inject(8)): bounce rather than retry for days.
        return result.exitCode === 100 ? 100 : 111;
      }
      case 'maildir':
        await (run.deliverMaildir ?? realDeliverMaildir)(resolve(cwd, to), Buffer.concat([Buffer.from(deliveryPrefix(run.env)), message]));
        log(`delivered to Maildir ${to}`);
        return 99;
      case 'mbox': {
        const ufline = run.env['UFLINE'] ?? fromLine(run.env['SENDER'] ?? '', run.now?.() ?? new Date());
        await (run.deliverMbox ?? ((p, e) => realDeliverMbox(p, e, log)))(resolve(cwd, to), mboxEntry(ufline, deliveryPrefix(run.env), message));
        log(`delivered to mbox ${to}`);
        return 99;
      }
    }
  } catch (e) {
    log(`${target.action} to ${to} failed: ${(e as NodeJS.ErrnoException).code ?? ''} ${(e as Error).message}`.replace(/\s+/g, ' '));
    return 111;
  }
}
