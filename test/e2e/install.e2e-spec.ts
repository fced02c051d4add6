import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestController } from '../support/controller';
import { testDatabases } from '../support/databases';
import { runCli } from '../support/cli';
import { QmailTree } from '../support/qmail-tree';
import { SupervisedQmailSend } from '../support/supervise';
import { AGENT_MAIN, REPO, waitFor } from '../support/processes';

/**
 * docs/operations.md "Installing the agent", step by step: the package from
 * `npm run package:agent`, unpacked, and the very command `qfleet hosts add` prints, run with
 * every path moved into a temp root. The agent then runs under the real daemontools (svscan,
 * supervise, multilog), enrols, applies a document to a qmail tree, and stops on `svc -d`.
 */
describe.each(testDatabases())('installing the agent on a mail server (%s database)', (db) => {
  let ctl: TestController;
  let work: string;
  let tarball: string;

  beforeAll(async () => {
    ctl = await TestController.start(db);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-install-'));
    // `npm run package:agent` is `nx build agent`, then this (the e2e run has built the agent).
    const pack = spawnSync(process.execPath, [path.join(REPO, 'tools', 'package-agent.js'), '--out', work], { encoding: 'utf8' });
    expect(pack.stderr).toBe('');
    expect(pack.status).toBe(0);
    tarball = path.join(work, 'qfleet-agent.tar.gz');
  });
  afterAll(async () => {
    await ctl?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** A temp root standing for the mail server's /: every path the installer writes is in it. */
  function serverRoot(name: string) {
    const root = path.join(work, name);
    const p = {
      root,
      prefix: path.join(root, 'usr/local/lib/qfleet-agent'),
      configDir: path.join(root, 'etc/qfleet-agent'),
      stateDir: path.join(root, 'var/lib/qfleet-agent'),
      logDir: path.join(root, 'var/log/qfleet-agent'),
      svscanDir: path.join(root, 'service'),
      unitDir: path.join(root, 'etc/systemd/system'),
    };
    fs.mkdirSync(root, { recursive: true });
    return {
      ...p,
      flags: ['--prefix', p.prefix, '--config-dir', p.configDir, '--state-dir', p.stateDir, '--log-dir', p.logDir, '--svscan-dir', p.svscanDir, '--unit-dir', p.unitDir, '--node', process.execPath],
    };
  }

  /** The package unpacked the way the printed `tar xzf` line says, in a directory of its own. */
  function unpack(into: string, tarLine: string): string {
    fs.mkdirSync(into, { recursive: true });
    const [cmd, ...args] = tarLine.trim().split(/\s+/);
    expect([cmd, ...args]).toEqual(['tar', 'xzf', 'qfleet-agent.tar.gz']);
    fs.copyFileSync(tarball, path.join(into, 'qfleet-agent.tar.gz'));
    const r = spawnSync(cmd, args, { cwd: into, encoding: 'utf8' });
    expect(r.status).toBe(0);
    return into;
  }

  function install(cwd: string, args: string[]) {
    const [cmd, ...rest] = args;
    return spawnSync(cmd, rest, { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
  }

  function mode(p: string): string {
    return (fs.statSync(p).mode & 0o777).toString(8);
  }

  it('runs the printed install command, starts the agent under supervise, applies a document, and svc -d stops it', async () => {
    const added = await runCli(ctl.url, ['hosts', 'add', 'mx-install.example.net']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const printed = (re: RegExp) => {
      const m = re.exec(added.stdout);
      if (!m) throw new Error(`hosts add printed no line matching ${re}:\n${added.stdout}`);
      return m;
    };
    const token = printed(/enrol token \(shown only this once\): (\S+)/)[1];
    const tarLine = printed(/^\s+tar xzf.*$/m)[0];
    const installLine = printed(/^\s+sh qfleet-agent\/install-agent\.sh.*$/m)[0];
    expect(installLine.trim()).toBe(
      `sh qfleet-agent/install-agent.sh --controller ${ctl.url} --token ${token} --qmail /var/qmail --service daemontools --service-dir /service/qmail-send`,
    );
    const hostId = (await ctl.api('GET', '/api/hosts')).body.find((h: { name: string }) => h.name === 'mx-install.example.net').id;

    const server = serverRoot('mx-install');
    const tree = new QmailTree(path.join(server.root, 'var/qmail'));
    const qmailSend = new SupervisedQmailSend(path.join(server.root, 'qmail-svc'));
    const pkg = unpack(path.join(server.root, 'root'), tarLine);
    let svscan: ChildProcess | undefined;
    const agentService = path.join(server.svscanDir, 'qfleet-agent');
    try {
      // The printed command, then the temp root's paths (a later flag wins).
      const run = install(pkg, [...installLine.trim().split(/\s+/), '--qmail', tree.home, '--service-dir', qmailSend.dir, ...server.flags]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`linked ${agentService}`);

      // Buffer.equals: jest's deep equality walks 3.5 MB byte by byte for minutes.
      expect(fs.readFileSync(path.join(server.prefix, 'qfleet-agent.js')).equals(fs.readFileSync(AGENT_MAIN))).toBe(true);
      const envFile = path.join(server.configDir, 'agent.env');
      expect(mode(envFile)).toBe('600');
      expect(fs.readFileSync(envFile, 'utf8')).toContain(`QFLEET_TOKEN='${token}'`);
      expect(mode(server.stateDir)).toBe('700');
      expect(mode(path.join(server.configDir, 'service/run'))).toBe('755');
      expect(fs.readFileSync(path.join(server.configDir, 'service/run'), 'utf8')).toContain(`exec ${process.execPath} --max-semi-space-size=1 ${server.prefix}/qfleet-agent.js`);
      expect(fs.readlinkSync(agentService)).toBe(path.join(server.configDir, 'service'));

      // What svscan does at boot: a supervise for the agent and one for its multilog.
      svscan = spawn('svscan', [server.svscanDir], { stdio: 'ignore' });
      await waitFor('the agent to enrol and connect', async () => (await ctl.host(hostId)).connected, 60_000);
      const credentials = path.join(server.stateDir, 'credentials.json');
      expect(mode(credentials)).toBe('600');

      const put = await ctl.api('PUT', `/api/hosts/${hostId}/config`, { locals: ['install.example'], rcpthosts: ['install.example'] });
      expect(put.status).toBe(200);
      await waitFor('revision 1 applied', async () => (await ctl.host(hostId)).appliedRevision === 1);
      expect(tree.read('control/locals')).toBe('install.example\n');
      expect(tree.read('control/rcpthosts')).toBe('install.example\n');
      // svc -h returns once supervise has the command; the stand-in's trap writes a moment later.
      await waitFor('the HUP to qmail-send', () => qmailSend.events().includes('hup'));

      const log = path.join(server.logDir, 'current');
      await waitFor('the agent log in multilog', () => fs.existsSync(log) && /^@4000[0-9a-f]{20} \{.*"msg":"starting"/m.test(fs.readFileSync(log, 'utf8')));

      // An upgrade: the same script again, without the spent token; the stored secret is kept.
      const secret = fs.readFileSync(credentials, 'utf8');
      const again = install(pkg, ['sh', 'qfleet-agent/install-agent.sh', '--controller', ctl.url, '--qmail', tree.home, '--service-dir', qmailSend.dir, ...server.flags]);
      expect(again.stderr).toBe('');
      expect(again.status).toBe(0);
      expect(again.stdout).toContain(`restarted the agent: svc -t ${agentService}`);
      await waitFor('the agent started a second time', () => (fs.readFileSync(log, 'utf8').match(/"msg":"starting"/g) ?? []).length >= 2);
      await waitFor('the agent back', async () => (await ctl.host(hostId)).connected);
      expect(fs.readFileSync(credentials, 'utf8')).toBe(secret);

      spawnSync('svc', ['-d', agentService]);
      await waitFor('the agent to disconnect', async () => !(await ctl.host(hostId)).connected);
      await waitFor('supervise to report it down', () => /: down \d+ seconds/.test(spawnSync('svstat', [agentService], { encoding: 'utf8' }).stdout));
      expect(fs.readFileSync(log, 'utf8')).toMatch(/"signal":"SIGTERM".*"msg":"stopping"/);
    } finally {
      spawnSync('svc', ['-dx', agentService, path.join(agentService, 'log')]);
      svscan?.kill('SIGTERM');
      await qmailSend.stop();
    }
  });

  it('writes a systemd unit with the installed paths', async () => {
    const server = serverRoot('mx-systemd');
    const tree = new QmailTree(path.join(server.root, 'var/qmail'));
    const pkg = unpack(path.join(server.root, 'root'), 'tar xzf qfleet-agent.tar.gz');
    const r = install(pkg, ['sh', 'qfleet-agent/install-agent.sh', '--controller', ctl.url, '--token', 'qfe_unused', '--qmail', tree.home, '--service', 'systemd', '--no-start', ...server.flags]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const unitFile = path.join(server.unitDir, 'qfleet-agent.service');
    const unit = fs.readFileSync(unitFile, 'utf8');
    // systemd's own check of the unit as installed (keys, the ExecStart binary, the env file).
    const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: '' });
    expect(unit).toContain(`EnvironmentFile=${server.configDir}/agent.env`);
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=1 ${server.prefix}/qfleet-agent.js`);
    const env = fs.readFileSync(path.join(server.configDir, 'agent.env'), 'utf8');
    expect(env).toContain("QFLEET_SERVICE='systemd'");
    expect(env).toContain("QFLEET_SYSTEMD_UNIT='qmail'");
    expect(fs.existsSync(path.join(server.configDir, 'service'))).toBe(false);
  });

  it('refuses bad settings with exit 2 and a message naming them, installing nothing', async () => {
    const server = serverRoot('mx-refused');
    const pkg = unpack(path.join(server.root, 'root'), 'tar xzf qfleet-agent.tar.gz');
    const notQmail = path.join(server.root, 'not-qmail');
    fs.mkdirSync(notQmail);
    const cases: [string[], RegExp][] = [
      [['--token', 't', '--qmail', notQmail], /--controller is required/],
      [['--controller', 'ftp://x', '--token', 't', '--qmail', notQmail], /--controller must be an http/],
      [['--controller', ctl.url, '--token', 't', '--qmail', notQmail], new RegExp(`${notQmail} is not a qmail home`)],
      [['--controller', ctl.url, '--qmail', notQmail, '--service', 'runit'], /--service must be daemontools, systemd, init, pidfile or none/],
      [['--controller', ctl.url, '--token', 't', '--qmail', 'var/qmail'], /--qmail must be an absolute path/],
      [['--controller', ctl.url, '--token', "it's", '--qmail', notQmail], /--token may not hold a quote/],
    ];
    for (const [args, message] of cases) {
      const r = install(pkg, ['sh', 'qfleet-agent/install-agent.sh', ...args, ...server.flags]);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(message);
    }
    fs.mkdirSync(path.join(notQmail, 'control'));
    const noToken = install(pkg, ['sh', 'qfleet-agent/install-agent.sh', '--controller', ctl.url, '--qmail', notQmail, ...server.flags]);
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toMatch(/--token is required: this host has not enrolled yet/);
    expect(fs.existsSync(server.prefix)).toBe(false);
    expect(fs.existsSync(server.configDir)).toBe(false);
  });
});
