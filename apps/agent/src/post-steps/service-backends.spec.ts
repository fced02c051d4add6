import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../apply/test-support/qmail-tree';
import { superviseStandIn } from '../apply/test-support/supervise';
import { tempDir } from '../requests/test-support/messages';
import { parseSettings } from '../cli/settings';
import { daemontoolsBackend, daemontoolsState, parseSuperviseStatus, parseSvstat } from './daemontools-backend';
import { initScriptBackend } from './init-script-backend';
import { pidfileBackend } from './pidfile-backend';
import { serviceBackendFor } from './select-backend';
import { serviceState } from './service-backend';
import { parseSystemctlShow, parseSystemdTimestamp, systemctlArgv, systemdBackend, systemdState } from './systemd-backend';

jest.setTimeout(30_000);

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await tempDir('qfleet-backends-');
});
afterEach(() => tmp.cleanup());

describe('svstat output (QMAIL.md §5)', () => {
  it('reads up, its pid and seconds', () => {
    expect(parseSvstat('up (pid 30303) 187 seconds')).toEqual({ running: true, pid: 30303, seconds: 187, superviseRunning: true, normally: null, paused: false, want: null });
  });
  it('reads down with its flags', () => {
    expect(parseSvstat('down 12 seconds, normally up')).toMatchObject({ running: false, pid: null, seconds: 12, normally: 'up' });
    expect(parseSvstat('up (pid 7) 3 seconds, normally down, paused, want down')).toMatchObject({ running: true, pid: 7, normally: 'down', paused: true, want: 'down' });
  });
  it('reads supervise not running as down, and anything else as unknown', () => {
    expect(parseSvstat('supervise not running')).toMatchObject({ running: false, superviseRunning: false });
    expect(parseSvstat('unable to open supervise/ok: file does not exist')).toMatchObject({ running: null });
  });
  it('turns seconds into since when supervise/status cannot be read', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect(daemontoolsState('/service/qmail-send: up (pid 5) 60 seconds', parseSvstat('up (pid 5) 60 seconds'), null, now)).toEqual({
      running: true,
      pid: 5,
      since: '2026-11-25T11:59:00.000Z',
      detail: '/service/qmail-send: up (pid 5) 60 seconds',
    });
  });
});

describe('supervise/status, 18 bytes (QMAIL.md §5)', () => {
  it('reads the TAI64N time, the little-endian pid, the paused flag and the wish', () => {
    const b = Buffer.alloc(18);
    b.writeBigUInt64BE(BigInt('4611686018427387914') + BigInt(1_764_072_000), 0);
    b.writeUInt32BE(250_000_000, 8);
    b.writeUInt32LE(30303, 12);
    b[16] = 0;
    b[17] = 'u'.charCodeAt(0);
    expect(parseSuperviseStatus(b)).toEqual({ since: new Date(1_764_072_000_250), pid: 30303, paused: false, want: 'up' });
    b[17] = 0;
    expect(parseSuperviseStatus(b).want).toBeNull();
  });
  it('refuses a short file', () => {
    expect(() => parseSuperviseStatus(Buffer.alloc(17))).toThrow('17 bytes, not 18');
  });
  it('agrees with svstat on a real supervise', async () => {
    const service = await superviseStandIn(tmp.dir);
    try {
      await waitFor(async () => (await daemontoolsBackend(service.dir).isRunning()) === true, 'the stand-in to be up');
      const status = parseSuperviseStatus(await readFile(join(service.dir, 'supervise/status')));
      const state = await daemontoolsBackend(service.dir).state!();
      expect(state.pid).toBe(status.pid);
      expect(state.since).toBe(status.since.toISOString());
      expect(status.want).toBe('up');
      expect(Math.abs(Date.now() - status.since.getTime())).toBeLessThan(10_000);
    } finally {
      await service.stop();
    }
  });
});

describe('systemd', () => {
  it('builds fixed systemctl argv; signals go to the main process, qmail-send', () => {
    expect(systemctlArgv('start', 'qmail')).toEqual(['start', 'qmail']);
    expect(systemctlArgv('stop', 'qmail')).toEqual(['--no-block', 'stop', 'qmail']);
    expect(systemctlArgv('restart', 'qmail')).toEqual(['--no-block', 'restart', 'qmail']);
    expect(systemctlArgv('hup', 'qmail')).toEqual(['kill', '--kill-whom=main', '-s', 'HUP', 'qmail']);
    expect(systemctlArgv('alrm', 'qmail')).toEqual(['kill', '--kill-whom=main', '-s', 'ALRM', 'qmail']);
  });

  it('reads systemctl show in any order', () => {
    const props = parseSystemctlShow('MainPID=4242\nActiveState=active\nActiveEnterTimestamp=Wed 2026-11-25 17:30:17 UTC\nInactiveEnterTimestamp=\n');
    expect(systemdState(props, 'qmail')).toEqual({ running: true, pid: 4242, since: '2026-11-25T17:30:17.000Z', detail: 'qmail: ActiveState=active MainPID=4242' });
    expect(systemdState(parseSystemctlShow('MainPID=0\nActiveState=failed\nActiveEnterTimestamp=n/a\nInactiveEnterTimestamp=Wed 2026-11-25 18:00:00 UTC'), 'qmail')).toEqual({
      running: false,
      pid: null,
      since: '2026-11-25T18:00:00.000Z',
      detail: 'qmail: ActiveState=failed MainPID=0',
    });
  });

  it('reads timestamps, and an empty one as none', () => {
    expect(parseSystemdTimestamp('')).toBeNull();
    expect(parseSystemdTimestamp('n/a')).toBeNull();
    expect(parseSystemdTimestamp('Wed 2026-11-25 17:30:17 GMT')).toEqual(new Date('2026-11-25T17:30:17Z'));
    expect(parseSystemdTimestamp('Wed 2026-11-25 17:30:17 CET')).toEqual(new Date(2026, 10, 25, 17, 30, 17));
  });

  it('runs systemctl without a shell, and waits through show', async () => {
    // A stand-in systemctl: logs its argv, and `show` answers from a state file.
    const systemctl = join(tmp.dir, 'systemctl');
    const stateFile = join(tmp.dir, 'state');
    await writeFile(stateFile, 'ActiveState=active\nMainPID=100\nActiveEnterTimestamp=Wed 2026-11-25 17:30:17 UTC\n');
    await writeFile(
      systemctl,
      `#!/bin/sh\necho "$*" >> ${tmp.dir}/argv\nif [ "$1" = show ]; then cat ${stateFile}; fi\nif [ "$2" = stop ]; then printf 'ActiveState=inactive\\nMainPID=0\\n' > ${stateFile}; fi\n`,
      { mode: 0o755 },
    );
    const backend = systemdBackend('qmail', systemctl);
    expect(await backend.isRunning()).toBe(true);
    await backend.signal('hup');
    await backend.control('stop');
    await backend.waitFor('down', 5_000);
    expect((await readFile(join(tmp.dir, 'argv'), 'utf8')).split('\n').filter(Boolean)).toEqual([
      `show -p ActiveState,MainPID,ActiveEnterTimestamp,InactiveEnterTimestamp qmail`,
      'kill --kill-whom=main -s HUP qmail',
      '--no-block stop qmail',
      `show -p ActiveState,MainPID,ActiveEnterTimestamp,InactiveEnterTimestamp qmail`,
    ]);
  });
});

/** A real process standing in for qmail-send: logs the signals it gets, writes its pid file. */
function qmailSendProcess(pidfile: string, log: string): ChildProcess {
  return spawn('/bin/sh', ['-c', `trap 'echo hup >> ${log}' HUP; trap 'echo alrm >> ${log}' ALRM; trap 'echo term >> ${log}; exit 0' TERM; echo $$ > ${pidfile}; while :; do sleep 1 & wait $!; done`], {
    stdio: 'ignore',
  });
}

describe('pidfile backend', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });
  const lines = async () => (await readFile(join(tmp.dir, 'log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('signals the pid in the file, and sees it go down after TERM', async () => {
    const pidfile = join(tmp.dir, 'qmail-send.pid');
    child = qmailSendProcess(pidfile, join(tmp.dir, 'log'));
    const backend = pidfileBackend(pidfile);
    await backend.waitFor('up', 5_000);
    const state = await backend.state!();
    expect(state).toEqual({ running: true, pid: child.pid, since: (await stat(pidfile)).mtime.toISOString(), detail: `${pidfile}: pid ${child.pid} running` });

    await backend.signal('hup');
    await waitFor(async () => (await lines()).includes('hup'), 'the HUP');
    await backend.control('alrm');
    await waitFor(async () => (await lines()).includes('alrm'), 'the ALRM');
    await backend.control('stop');
    await backend.waitFor('down', 5_000);
    expect(await lines()).toEqual(['hup', 'alrm', 'term']);
    expect(await backend.isRunning()).toBe(false);
    await expect(backend.signal('hup')).rejects.toThrow(`qmail-send is not running (${pidfile}: pid ${child.pid} is gone)`);
  });

  it('refuses start and restart without a start command, and never sends the TERM', async () => {
    const pidfile = join(tmp.dir, 'qmail-send.pid');
    child = qmailSendProcess(pidfile, join(tmp.dir, 'log'));
    const backend = pidfileBackend(pidfile);
    await backend.waitFor('up', 5_000);
    await expect(backend.control('start')).rejects.toThrow('no --start-command');
    await expect(backend.signal('restart')).rejects.toThrow('no --start-command');
    expect(await backend.isRunning()).toBe(true);
  });

  it('starts and restarts through its fixed start command', async () => {
    const pidfile = join(tmp.dir, 'qmail-send.pid');
    const script = join(tmp.dir, 'rc');
    await writeFile(script, `#!/bin/sh\ntrap 'echo term >> ${tmp.dir}/log; exit 0' TERM\necho $$ > ${pidfile}\necho start >> ${tmp.dir}/log\nwhile :; do sleep 1 & wait $!; done\n`, { mode: 0o755 });
    const backend = pidfileBackend(pidfile, [script]);
    expect(await backend.isRunning()).toBe(false);
    await backend.control('start');
    await backend.waitFor('up', 5_000);
    const first = (await backend.state!()).pid!;
    await backend.signal('restart');
    await backend.waitFor('up', 5_000);
    const second = (await backend.state!()).pid!;
    expect(second).not.toBe(first);
    await backend.control('stop');
    await backend.waitFor('down', 5_000);
    expect(await lines()).toEqual(['start', 'term', 'start', 'term']);
  });
});

describe('init script backend', () => {
  it('runs <script> start|stop|restart; without a pid file it cannot tell and refuses signals', async () => {
    const script = join(tmp.dir, 'qmail');
    await writeFile(script, `#!/bin/sh\necho "$1" >> ${tmp.dir}/calls\n`, { mode: 0o755 });
    const backend = initScriptBackend(script);
    await backend.control('start');
    await backend.signal('restart');
    await backend.control('stop');
    expect(await readFile(join(tmp.dir, 'calls'), 'utf8')).toBe('start\nrestart\nstop\n');
    await expect(backend.signal('hup')).rejects.toThrow('--service init has no --pidfile');
    await expect(backend.waitFor('down', 100)).rejects.toThrow('cannot tell');
    expect(await serviceState(backend)).toMatchObject({ running: null, pid: null });
  });

  it('signals the pid in --pidfile', async () => {
    const pidfile = join(tmp.dir, 'pid');
    const child = qmailSendProcess(pidfile, join(tmp.dir, 'log'));
    try {
      const backend = initScriptBackend('/bin/true', pidfile);
      await backend.waitFor('up', 5_000);
      await backend.signal('hup');
      await waitFor(async () => (await readFile(join(tmp.dir, 'log'), 'utf8').catch(() => '')).includes('hup'), 'the HUP');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('--service flags', () => {
  const settings = (...args: string[]) => parseSettings(['--controller', 'http://c', ...args], {});
  it('picks the backend the flags name', () => {
    expect(serviceBackendFor(settings('--service', 'systemd')).name).toBe('systemd qmail');
    expect(serviceBackendFor(settings('--service', 'systemd', '--systemd-unit', 'notqmail.service')).name).toBe('systemd notqmail.service');
    expect(serviceBackendFor(settings('--service', 'init', '--init-script', '/etc/init.d/qmail')).name).toBe('init /etc/init.d/qmail');
    expect(serviceBackendFor(settings('--service', 'pidfile', '--pidfile', '/run/qmail.pid')).name).toBe('pidfile /run/qmail.pid');
    expect(serviceBackendFor(parseSettings([], { QFLEET_CONTROLLER: 'http://c', QFLEET_SERVICE: 'pidfile', QFLEET_PIDFILE: '/run/q.pid' })).name).toBe('pidfile /run/q.pid');
  });
  it('needs the flag each backend depends on', () => {
    expect(() => settings('--service', 'init')).toThrow('--service init needs --init-script');
    expect(() => settings('--service', 'pidfile')).toThrow('--service pidfile needs --pidfile');
    expect(() => settings('--service', 'systemd', '--systemd-unit', 'qmail; rm -rf /')).toThrow('--systemd-unit must be a unit name');
  });
  it('splits --start-command into a fixed argv, quotes kept together, no shell', () => {
    const s = settings('--service', 'pidfile', '--pidfile', '/run/q.pid', '--start-command', `/usr/bin/env - PATH="/var/qmail/bin:/bin" qmail-start './Maildir/' splogger qmail`);
    expect(s.startCommand).toEqual(['/usr/bin/env', '-', 'PATH=/var/qmail/bin:/bin', 'qmail-start', './Maildir/', 'splogger', 'qmail']);
    expect(() => settings('--start-command', '/var/qmail/rc "oops')).toThrow('unclosed quote');
  });
});
