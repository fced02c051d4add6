import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueFixture } from './queue-fixture';
import { mimeWithAttachment } from './messages';

export type ScenarioMessage = 'report' | 'spam1' | 'spam2' | 'lunch';

/**
 * The queue the queue and dashboard specs read: a report with an attachment, two messages
 * from a compromised account (one bouncing, with a done local recipient), and a local one,
 * queued a second apart from `queuedFrom`.
 */
export function addIncidentQueue(qmailHome: string, queuedFrom: Date): Record<ScenarioMessage, number> {
  const queue = new QueueFixture(path.join(qmailHome, 'queue'));
  const at = (s: number) => new Date(queuedFrom.getTime() + s * 1000);
  const spam = 'Subject: cheap pills\n\nbuy\n';
  return {
    report: queue.add({ sender: 'alice@example.com', recipients: [{ kind: 'remote', address: 'bob@gmail.com' }], body: mimeWithAttachment('Quarterly report'), queuedAt: at(0) }),
    spam1: queue.add({ sender: 'spammer@hacked.example', recipients: [{ kind: 'remote', address: 'v1@yahoo.com' }], body: spam, queuedAt: at(1) }),
    spam2: queue.add({
      sender: 'spammer@hacked.example',
      recipients: [{ kind: 'remote', address: 'v2@yahoo.com' }, { kind: 'local', address: 'joe@example.com', done: true }],
      body: spam,
      bouncing: true,
      queuedAt: at(2),
    }),
    lunch: queue.add({ sender: 'carol@example.com', recipients: [{ kind: 'local', address: 'joe@example.com' }], body: 'Subject: lunch\n\nnoon?\n', queuedAt: at(3) }),
  };
}

/**
 * Users' homes listed by a passwd file of their own: joe with a Maildir of two messages
 * (budget meeting, then weekly news), ann with no mailbox yet, and root (never listed).
 */
export function makeMailHomes(): { dir: string; passwd: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-homes-'));
  const joe = path.join(dir, 'joe');
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(joe, 'Maildir', d), { recursive: true });
  const deliver = (name: string, mtime: number, text: string) => {
    const file = path.join(joe, 'Maildir', name);
    fs.writeFileSync(file, text);
    // A Maildir message's mtime is its delivery time (QMAIL.md §6): "newest first" has one answer.
    fs.utimesSync(file, mtime, mtime);
  };
  deliver('new/1700000000.1.mx', 1700000000, 'From: boss@example.com\nTo: joe@example.com\nSubject: Budget meeting\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n\nAt ten.\n');
  deliver('cur/1700000100.2.mx:2,S', 1700000100, 'From: news@list.example\nTo: joe@example.com\nSubject: Weekly news\nDate: Tue, 14 Nov 2023 22:15:00 +0000\n\nNothing new.\n');
  fs.mkdirSync(path.join(dir, 'ann'));
  // ann reads mail in an mbox (QMAIL.md §6, mboxrd) while joe has a Maildir: one host, both formats.
  fs.writeFileSync(
    path.join(dir, 'ann', 'Mailbox'),
    'From carol@example.org Wed Nov 15 09:00:00 2023\nFrom: carol@example.org\nTo: ann@example.com\nSubject: Holiday plans\nDate: Wed, 15 Nov 2023 09:00:00 +0000\n\nSee you in May.\n\n',
  );
  // Homes belong to their users, as on a real host: the agent serves only files of the mailbox's
  // uid (issue 10). Not running as root, the users are given our own uid instead.
  const me = process.getuid?.() ?? 0;
  const uidOf = (uid: number) => (me === 0 ? uid : me);
  const own = (p: string, uid: number) => {
    if (me !== 0) return;
    fs.chownSync(p, uid, uid);
    if (fs.lstatSync(p).isDirectory()) for (const name of fs.readdirSync(p)) own(path.join(p, name), uid);
  };
  own(joe, 1001);
  own(path.join(dir, 'ann'), 1002);
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(passwd, `root:x:0:0:root:/root:/bin/sh\njoe:x:${uidOf(1001)}:${uidOf(1001)}::${joe}:/bin/sh\nann:x:${uidOf(1002)}:${uidOf(1002)}::${path.join(dir, 'ann')}:/bin/sh\n`);
  return { dir, passwd, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
