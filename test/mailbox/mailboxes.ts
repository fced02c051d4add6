import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fsyncSync, linkSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Builds real mailboxes the way qmail-local writes them (QMAIL.md §6), independently of the code
 * under test, so a mistake in its mbox formatter cannot hide a mistake in its parser.
 */

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `qfleet-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** maildirmake: tmp/, new/ and cur/ on one filesystem. */
export function makeMaildir(dir: string): string {
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

let sequence = 0;

/** qmail-local's Maildir delivery: tmp/<time>.<pid>.<host>, write, fsync, link into new/, unlink tmp/. Returns the unique name. */
export function deliverToMaildir(maildir: string, message: string | Buffer, delivered = new Date()): string {
  const time = Math.floor(delivered.getTime() / 1000);
  const name = `${time}.${process.pid}_${++sequence}.${hostname()}`;
  const tmp = join(maildir, 'tmp', name);
  const fd = openSync(tmp, 'wx', 0o600);
  writeSync(fd, typeof message === 'string' ? Buffer.from(message) : message);
  fsyncSync(fd);
  closeSync(fd);
  utimesSync(tmp, delivered, delivered);
  linkSync(tmp, join(maildir, 'new', name));
  unlinkSync(tmp);
  return name;
}

function asctime(d: Date): string {
  const s = d.toUTCString(); // "Fri, 05 Jan 2024 09:03:07 GMT"
  const [, day, date, mon, year, time] = /^(\w+), (\d+) (\w+) (\d+) (\S+)/.exec(s) as RegExpExecArray;
  return `${day} ${mon} ${date.replace(/^0/, ' ').padStart(2, ' ')} ${time} ${year}`;
}

/** The bytes qmail-local appends to an mbox: From_ line, ^>*From lines quoted with one more >, blank line. */
export function mboxEntry(sender: string, message: string, delivered = new Date()): string {
  const body = message.endsWith('\n') ? message : `${message}\n`;
  return `From ${sender || 'MAILER-DAEMON'} ${asctime(delivered)}\n${body.replace(/^(>*From )/gm, '>$1')}\n`;
}

/** Appends like qmail-local's mailfile(), minus the flock (for building fixtures before any reader runs). */
export function appendToMbox(file: string, sender: string, message: string, delivered = new Date()): void {
  const fd = openSync(file, 'a', 0o600);
  writeSync(fd, mboxEntry(sender, message, delivered));
  fsyncSync(fd);
  closeSync(fd);
}

/** A simple RFC 5322 message. */
export function message(fields: { from: string; to: string; subject: string; body: string; cc?: string; date?: Date; extra?: string[] }): string {
  return [
    `Return-Path: <${fields.from}>`,
    `Delivered-To: ${fields.to}`,
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    `Subject: ${fields.subject}`,
    `Date: ${(fields.date ?? new Date(Date.UTC(2024, 0, 1))).toUTCString()}`,
    ...(fields.extra ?? []),
    '',
    fields.body,
  ].join('\n');
}

/** Runs a shell script; resolves with the child once it printed `ready` (its first line). */
export function startShell(script: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve(child);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!out.includes('ready\n')) reject(new Error(`shell exited with ${code} before it was ready`));
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}
