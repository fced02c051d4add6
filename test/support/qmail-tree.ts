import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
    this.installStandIn('qmail-newmrh', NEWMRH);
    this.installStandIn('qmail-newu', NEWU);
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
        else out[path.relative(this.home, p)] = fs.readFileSync(p, 'latin1');
      }
    };
    walk(this.home);
    return out;
  }

  remove(): void {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

const NEWMRH = `#!/bin/sh
# stand-in for qmail-newmrh: exits 111 without morercpthosts, like the real one
echo qmail-newmrh >> bin/calls.log
[ -f control/morercpthosts ] || { echo "qmail-newmrh: fatal: unable to read control/morercpthosts" >&2; exit 111; }
tr 'A-Z' 'a-z' < control/morercpthosts | grep -v '^#' > control/morercpthosts.tmp && mv control/morercpthosts.tmp control/morercpthosts.cdb
`;

const NEWU = `#!/bin/sh
# stand-in for qmail-newu: refuses what the real one refuses (QMAIL.md §2)
echo qmail-newu >> bin/calls.log
f=users/assign
[ -f $f ] || { echo "qmail-newu: fatal: unable to read users/assign" >&2; exit 111; }
tail -n 1 $f | grep -qx '\\.' || { echo "qmail-newu: fatal: bad format in users/assign" >&2; exit 111; }
if sed '$d' $f | grep -qv '^[=+][^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:$'; then echo "qmail-newu: fatal: bad format in users/assign" >&2; exit 111; fi
cp $f users/cdb.tmp && mv users/cdb.tmp users/cdb
`;
