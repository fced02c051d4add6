import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A stand-in qmail-send run by an init script (`start|stop|restart`, pid in a pid file), for
 * the agent's `--service init` backend where daemontools is not installed. Every start, stop,
 * HUP and ALRM is written to events.log, so a test sees what qmail would have gone through.
 */
export class InitScriptQmailSend {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-init-'));
  readonly script = path.join(this.dir, 'qmail');
  readonly pidfile = path.join(this.dir, 'qmail-send.pid');
  private readonly eventsFile = path.join(this.dir, 'events.log');

  constructor() {
    const d = this.dir;
    // The daemon's output goes to /dev/null: the agent waits for the script's pipes to close.
    fs.writeFileSync(
      this.script,
      `#!/bin/sh
start() {
  echo start >> ${d}/events.log
  ( trap 'echo hup >> ${d}/events.log' HUP; trap 'echo alrm >> ${d}/events.log' ALRM; trap 'exit 0' TERM
    while :; do sleep 1 & wait $!; done ) </dev/null >/dev/null 2>&1 &
  echo $! > ${this.pidfile}
}
stop() {
  pid=$(cat ${this.pidfile} 2>/dev/null) || return 0
  echo stop >> ${d}/events.log
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f ${this.pidfile}
}
case "$1" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
    this.run('start');
  }

  /** The agent's arguments for this service. */
  get agentArgs(): string[] {
    return ['--service', 'init', '--init-script', this.script, '--pidfile', this.pidfile];
  }

  run(verb: 'start' | 'stop' | 'restart'): void {
    const r = spawnSync(this.script, [verb], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${this.script} ${verb}: ${r.stderr}`);
  }

  events(): string[] {
    try {
      return fs.readFileSync(this.eventsFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  stop(): void {
    this.run('stop');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
