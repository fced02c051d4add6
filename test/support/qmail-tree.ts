import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './processes';

/** Shared with `npm run demo`: tools/stand-ins/. */
const STAND_INS = path.join(REPO, 'tools', 'stand-ins');

/**
 * A qmail home made on disk: control/, users/, alias/ and bin/ with small stand-ins for
 * qmail-newu and qmail-newmrh (qmail is not packaged here). Each stand-in checks its input
 * the way the real program does (QMAIL.md §1–2), writes its cdb atomically, and appends
 * its name to bin/calls.log so a test can see which post-steps ran.
 */
export class QmailTree {
  readonly home: string;

  constructor(home?: string) {
    this.home = home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-qmail-'));
    for (const d of ['control', 'users', 'alias', 'bin']) fs.mkdirSync(path.join(this.home, d), { recursive: true });
    for (const name of ['qmail-newmrh', 'qmail-newu']) this.installStandIn(name, fs.readFileSync(path.join(STAND_INS, name), 'utf8'));
  }

  installStandIn(name: string, script: string): void {
    fs.writeFileSync(path.join(this.home, 'bin', name), script, { mode: 0o755 });
  }

  /** Makes qmail-newu fail the way the real one does on a bad users/assign. */
  breakQmailNewu(): void {
    this.installStandIn('qmail-newu', '#!/bin/sh\necho qmail-newu >> bin/calls.log\necho "qmail-newu: fatal: bad format in users/assign" >&2\nexit 111\n');
  }

  read(rel: string): string | null {
    try {
      return fs.readFileSync(path.join(this.home, rel), 'utf8');
    } catch {
      return null;
    }
  }

  write(rel: string, content: string): void {
    fs.mkdirSync(path.dirname(path.join(this.home, rel)), { recursive: true });
    fs.writeFileSync(path.join(this.home, rel), content, { mode: 0o644 });
  }

  exists(rel: string): boolean {
    return fs.existsSync(path.join(this.home, rel));
  }

  calls(): string[] {
    return (this.read('bin/calls.log') ?? '').split('\n').filter(Boolean);
  }

  /** Every file under the tree with its bytes, for "nothing changed" assertions. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        // Only regular files: a FIFO (supervise/control) would block a read forever.
        else if (e.isFile()) out[path.relative(this.home, p)] = fs.readFileSync(p, 'latin1');
      }
    };
    walk(this.home);
    return out;
  }

  remove(): void {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}
