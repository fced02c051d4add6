import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A stand-in qmail-send supervised by Debian's real daemontools: its run script records
 * every start, HUP and TERM in events.log, so a test sees which signals qmail would get.
 */
export class SupervisedQmailSend {
  readonly dir: string;
  private readonly eventsFile: string;
  private readonly supervise;
  private readonly exited: Promise<void>;

  readonly root: string;

  constructor(root = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-svc-'))) {
    this.root = root;
    this.dir = path.join(root, 'service', 'qmail-send');
    this.eventsFile = path.join(root, 'service', 'events.log');
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(
      path.join(this.dir, 'run'),
      `#!/bin/sh\ntrap 'echo hup >> ${this.eventsFile}' HUP\ntrap 'echo alrm >> ${this.eventsFile}' ALRM\ntrap 'echo term >> ${this.eventsFile}; exit 0' TERM\necho start >> ${this.eventsFile}\nwhile :; do sleep 1 & wait $!; done\n`,
      { mode: 0o755 },
    );
    this.supervise = spawn('supervise', [this.dir], { stdio: 'ignore' });
    this.exited = new Promise((resolve) => this.supervise.once('exit', () => resolve()));
  }

  events(): string[] {
    try {
      return fs.readFileSync(this.eventsFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  svstat(): string {
    return spawnSync('svstat', [this.dir], { encoding: 'utf8' }).stdout.trim();
  }

  async stop(): Promise<void> {
    spawnSync('svc', ['-dx', this.dir]);
    await this.exited;
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
