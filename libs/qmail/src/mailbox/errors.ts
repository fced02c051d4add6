/** Typed errors of the mailbox module; each names the mailbox it is about (STYLE.md, practice 5). */

/** flock(1) did not get the mbox lock in time: a delivery or another reader held it. */
export class MailboxLocked extends Error {
  constructor(readonly file: string, readonly seconds: number) {
    super(`${file}: still locked after ${seconds} s (qmail-local or another mail program holds it)`);
    this.name = 'MailboxLocked';
  }
}

/** flock(1) from util-linux, which takes the lock qmail-local takes (Node has no flock()), failed or is missing. */
export class MailboxLockFailed extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: cannot lock the mbox with flock(1) from util-linux: ${detail}`);
    this.name = 'MailboxLockFailed';
  }
}

/**
 * A previous delete was interrupted while copying the kept messages back into the mbox: the mbox may
 * hold a half-copied tail. `marker` holds the complete tail that belongs at byte `offset` (its name
 * ends in `.<offset>.<old length>`; bytes after the old length are deliveries made since).
 */
export class InterruptedMboxDelete extends Error {
  constructor(readonly file: string, readonly marker: string) {
    super(`${file}: an earlier delete was interrupted; restore it from ${marker} before deleting again`);
    this.name = 'InterruptedMboxDelete';
  }
}

/** No message with this id (it was deleted, or the mailbox changed since it was listed). */
export class MessageNotFound extends Error {
  constructor(readonly mailbox: string, readonly id: string) {
    super(`${mailbox}: no message ${id}`);
    this.name = 'MessageNotFound';
  }
}

/** A Maildir++ folder name that would leave the Maildir (`/`, `..`) or is not a folder name. */
export class InvalidFolderName extends Error {
  constructor(readonly folder: string) {
    super(`invalid Maildir++ folder name: ${JSON.stringify(folder)}`);
    this.name = 'InvalidFolderName';
  }
}
