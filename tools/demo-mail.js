// Mail for `npm run demo`: a qmail queue and users' Maildirs in each sandbox tree, written in
// qmail's own on-disk formats (the queue as qmail-queue and qmail-send leave it, QMAIL.md §4;
// Maildirs as qmail-local delivers, §6), so the dashboard's Queue and Mailboxes tabs have
// something real to read. The same layout as test/support/queue-fixture.ts, in plain
// JavaScript because the demo runs without a build of the tests.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SPLIT = 23; // conf-split
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n) => String(n).padStart(2, '0');

/** date822fmt.c, UTC. */
function date822(d) {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} -0000`;
}

const record = (type, value) => Buffer.concat([Buffer.from(type), Buffer.from(value), Buffer.from([0])]);

function create(file, content, mode, mtime) {
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeSync(fd, content);
    fs.fchmodSync(fd, mode);
    if (mtime) fs.futimesSync(fd, mtime, mtime);
  } finally {
    fs.closeSync(fd);
  }
}

/** hier.c's queue directories and modes. */
function makeQueue(dir) {
  const dirs = [['pid', 0o700, false], ['intd', 0o700, false], ['todo', 0o750, false], ['bounce', 0o700, false], ['mess', 0o750, true], ['info', 0o700, true], ['local', 0o700, true], ['remote', 0o700, true], ['lock', 0o750, false]];
  for (const [name, mode, split] of dirs) {
    fs.mkdirSync(path.join(dir, name), { recursive: true, mode });
    if (split) for (let n = 0; n < SPLIT; n++) fs.mkdirSync(path.join(dir, name, String(n)), { recursive: true, mode });
  }
  create(path.join(dir, 'lock/tcpto'), Buffer.alloc(1024), 0o644);
  create(path.join(dir, 'lock/sendmutex'), Buffer.alloc(0), 0o600);
}

let seq = 0;

/** qmail-queue.c: the pid file's inode is the message id; mess/ gets the Received: line and the message. */
function queueMess(dir, body, queuedAt) {
  const pidfn = path.join(dir, 'pid', `${process.pid}.${Math.floor(Date.now() / 1000)}.${++seq}`);
  const fd = fs.openSync(pidfn, 'wx', 0o644);
  try {
    const id = fs.fstatSync(fd).ino;
    fs.linkSync(pidfn, path.join(dir, 'mess', String(id % SPLIT), String(id)));
    fs.unlinkSync(pidfn);
    const uid = process.getuid ? process.getuid() : 0;
    fs.writeSync(fd, Buffer.from(`Received: (qmail ${process.pid} invoked by uid ${uid}); ${date822(queuedAt)}\n${body}`));
    fs.futimesSync(fd, queuedAt, queuedAt);
    return id;
  } finally {
    fs.closeSync(fd);
  }
}

/** A message qmail-send has preprocessed: info (sender, birth time), local/remote (recipients; mtime = next retry). */
function addMessage(dir, m) {
  const id = queueMess(dir, m.body, m.queuedAt);
  const at = (name) => path.join(dir, name, String(id % SPLIT), String(id));
  create(at('info'), record('F', m.sender), 0o600, m.queuedAt);
  for (const kind of ['local', 'remote']) {
    const rs = m.recipients.filter((r) => r.kind === kind);
    if (rs.length) create(at(kind), Buffer.concat(rs.map((r) => record(r.done ? 'D' : 'T', r.address))), 0o600, m.nextRetry ?? m.queuedAt);
  }
  if (m.bounce) create(path.join(dir, 'bounce', String(id)), Buffer.from(`<${m.bounce}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n`), 0o600);
  return id;
}

/** A message qmail-queue wrote and qmail-send has not read yet: intd/ envelope, todo/ a hard link to it. */
function addTodo(dir, m) {
  const id = queueMess(dir, m.body, m.queuedAt);
  const uid = process.getuid ? process.getuid() : 0;
  const envelope = Buffer.concat([record('u', String(uid)), record('p', String(process.pid)), record('F', m.sender), ...m.recipients.map((r) => record('T', r))]);
  const intd = path.join(dir, 'intd', String(id));
  create(intd, envelope, 0o644, m.queuedAt);
  fs.linkSync(intd, path.join(dir, 'todo', String(id)));
}

function rfc822({ from, to, subject, body, date }) {
  return `From: ${from}\nTo: ${to}\nSubject: ${subject}\nDate: ${date.toUTCString()}\nMessage-ID: <${date.getTime()}.${++seq}@demo.example>\n\n${body}\n`;
}

/** The demo queue of one host: waiting remote mail to a few domains, local mail, a bounce, unprocessed mail. */
function writeQueue(home, host, now = new Date()) {
  const dir = path.join(home, 'queue');
  if (fs.existsSync(dir)) return false;
  makeQueue(dir);
  const ago = (min) => new Date(now.getTime() - min * 60_000);
  const later = (min) => new Date(now.getTime() + min * 60_000);
  const remote = [
    ['alice@slow.example.org', 'Quarterly report', 340, 25],
    ['bob@slow.example.org', 'Re: the invoice', 95, 12],
    ['sales@unreachable.example.net', 'Price list 2026', 1500, 90],
    ['ops@partner.example.com', 'Maintenance window', 12, 3],
    ['newsletter@lists.example.com', 'Weekly digest', 4, 1],
  ];
  remote.forEach(([to, subject, age, retry], i) => {
    const from = `user${i}@${host}`;
    addMessage(dir, { sender: from, recipients: [{ kind: 'remote', address: to }], queuedAt: ago(age), nextRetry: later(retry), body: rfc822({ from, to, subject, body: `Demo message ${i + 1} from ${host}.`, date: ago(age) }) });
  });
  addMessage(dir, {
    sender: `carol@${host}`,
    recipients: [{ kind: 'local', address: `dave@${host}` }, { kind: 'remote', address: 'erin@slow.example.org' }, { kind: 'remote', address: 'frank@partner.example.com', done: true }],
    queuedAt: ago(30),
    nextRetry: later(5),
    body: rfc822({ from: `carol@${host}`, to: `dave@${host}, erin@slow.example.org, frank@partner.example.com`, subject: 'Team lunch', body: 'Friday at noon?', date: ago(30) }),
  });
  addMessage(dir, {
    sender: '',
    recipients: [{ kind: 'remote', address: 'spoofed@bounces.example.net' }],
    queuedAt: ago(200),
    nextRetry: later(40),
    bounce: 'nobody@' + host,
    body: rfc822({ from: `MAILER-DAEMON@${host}`, to: 'spoofed@bounces.example.net', subject: 'failure notice', body: 'Hi. This is the qmail-send program. I could not deliver your message.', date: ago(200) }),
  });
  addTodo(dir, { sender: `grace@${host}`, recipients: ['heidi@partner.example.com'], queuedAt: ago(0), body: rfc822({ from: `grace@${host}`, to: 'heidi@partner.example.com', subject: 'Just queued', body: 'Not yet picked up by qmail-send.', date: ago(0) }) });
  return true;
}

/**
 * qmail-local's Maildir delivery: tmp/<time>.<pid>.<host>, then a link into new/ (or cur/ with
 * `:2,S` once read). The users live in a passwd file of the demo's own (the agent's --passwd),
 * with their homes in the sandbox. The agent serves a mailbox only when its files belong to the
 * user's uid, and never uid 0: a demo run as root gives its users uid 1000.
 */
function writeMailboxes(hostDir, host, now = new Date()) {
  const passwd = path.join(hostDir, 'passwd');
  if (fs.existsSync(passwd)) return passwd;
  const own = process.getuid ? process.getuid() : 1000;
  const uid = own === 0 ? 1000 : own;
  const users = [
    ['alice', [['bob@partner.example.com', 'Welcome to the demo', 60 * 24 * 3, true], ['carol@' + host, 'Lunch?', 90, false], ['billing@partner.example.com', 'Invoice 2026-114', 30, false]]],
    ['bob', [['alice@' + host, 'Re: Welcome', 60 * 5, true], ['noreply@lists.example.com', 'Weekly digest', 15, false]]],
    ['postmaster', [['MAILER-DAEMON@' + host, 'failure notice', 200, false]]],
  ];
  const lines = [];
  users.forEach(([user, mails], i) => {
    const home = path.join(hostDir, 'home', user);
    const maildir = path.join(home, 'Maildir');
    for (const sub of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(maildir, sub), { recursive: true, mode: 0o700 });
    for (const [from, subject, age, read] of mails) {
      const date = new Date(now.getTime() - age * 60_000);
      const name = `${Math.floor(date.getTime() / 1000)}.${process.pid}_${++seq}.${os.hostname()}`;
      const tmp = path.join(maildir, 'tmp', name);
      create(tmp, Buffer.from(`Return-Path: <${from}>\nDelivered-To: ${user}@${host}\n${rfc822({ from, to: `${user}@${host}`, subject, body: `Hello ${user}, this is a demo message.`, date })}`), 0o600, date);
      fs.linkSync(tmp, read ? path.join(maildir, 'cur', `${name}:2,S`) : path.join(maildir, 'new', name));
      fs.unlinkSync(tmp);
    }
    lines.push(`${user}:x:${uid + i}:${uid}:${user}:${home}:/bin/sh`);
  });
  // One uid per user, as on a real server: each home then belongs to its user.
  if (own === 0) users.forEach(([user], i) => chownTree(path.join(hostDir, 'home', user), uid + i, uid));
  else lines.forEach((_, i) => (lines[i] = lines[i].replace(/^([^:]*:x:)\d+/, `$1${own}`)));
  fs.writeFileSync(passwd, `root:x:0:0:root:/root:/bin/sh\n${lines.join('\n')}\n`);
  return passwd;
}

function chownTree(p, uid, gid) {
  fs.chownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}

module.exports = { writeQueue, writeMailboxes };
