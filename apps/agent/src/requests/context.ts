import type { ServiceBackend } from '../post-steps';

/** Where mail is delivered in a user's home (QMAIL.md §6; Webmin's mail_system, mail_dir_qmail, mail_file, §7). */
export interface MailboxSettings {
  format: 'maildir' | 'mbox';
  /** `Maildir`: the Maildir is `<home>/Maildir/` */
  maildirName: string;
  /** `Mailbox`: the mbox is `<home>/Mailbox` */
  mboxName: string;
  passwdFile: string;
}

export interface RequestContext {
  qmailHome: string;
  service: ServiceBackend;
  mailbox: MailboxSettings;
  log: (line: string) => void;
  /** Runs `fn` when no config apply is in progress (and none starts until it is done). */
  serialize: <T>(fn: () => Promise<T>) => Promise<T>;
  /** qmail's conf-split (QMAIL.md §4); 23 unless qmail was built otherwise. */
  split?: number;
  /** How long to wait for qmail-send to stop or start around a queue delete. */
  serviceTimeoutMs?: number;
}

export type RequestErrorCode = 'not_found' | 'invalid' | 'unavailable' | 'failed';

/** A request that cannot be done, with the code the controller maps to HTTP (404, 400, 409, 502). */
export class RequestFailure extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestFailure';
  }
}
