import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';

export const AGENT_VERSION = '0.1.0';

export interface AgentSettings {
  controller: string;
  token?: string;
  qmailHome: string;
  stateDir: string;
  service: 'none' | 'daemontools' | 'systemd' | 'init' | 'pidfile';
  serviceDir?: string;
  /** systemd: the unit that runs qmail-start (notqmail's `qmail`, QMAIL.md §5) */
  systemdUnit: string;
  /** init: the script taking start|stop|restart */
  initScript?: string;
  /** init, pidfile: the file holding qmail-send's pid */
  pidfile?: string;
  /** pidfile: how to start qmail-send, a fixed argv (never from the controller) */
  startCommand?: string[];
  reportIntervalSec: number;
  queueIntervalSec: number;
  /** seconds between mailbox statistics (issue 14) */
  mailboxIntervalSec: number;
  caFile?: string;
  fault?: string;
  /** Where users' mail is (QMAIL.md §6): `<home>/<maildirName>/` or `<home>/<mboxName>`, users from passwdFile. */
  mailbox: { format: 'maildir' | 'mbox'; maildirName: string; mboxName: string; passwdFile: string };
}

/**
 * `qfleet-agent --controller URL --token T [--qmail-home DIR] [--state-dir DIR] …`, every flag
 * also an environment variable (DESIGN.md "Interfaces"). A bad value is a usage error: the
 * one case in which the agent exits non-zero.
 */
export function parseSettings(argv: string[], env: NodeJS.ProcessEnv): AgentSettings {
  const program = new Command('qfleet-agent')
    .description('qfleet agent: applies the controller\'s qmail configuration on this mail server')
    .version(AGENT_VERSION)
    .option('--controller <url>', 'controller URL (QFLEET_CONTROLLER)', env['QFLEET_CONTROLLER'])
    .option('--token <token>', 'enrol token, used once; later the stored secret is used (QFLEET_TOKEN)', env['QFLEET_TOKEN'])
    .option('--qmail-home <dir>', 'qmail home (QFLEET_QMAIL_HOME)', env['QFLEET_QMAIL_HOME'] ?? '/var/qmail')
    .option('--state-dir <dir>', 'where the agent keeps its secret and journal (QFLEET_STATE_DIR)', env['QFLEET_STATE_DIR'] ?? '/var/lib/qfleet-agent')
    .option('--service <kind>', 'service backend: none, daemontools, systemd, init, pidfile (QFLEET_SERVICE)', env['QFLEET_SERVICE'] ?? 'none')
    .option('--service-dir <dir>', 'daemontools: the qmail-send service dir (QFLEET_SERVICE_DIR)', env['QFLEET_SERVICE_DIR'])
    .option('--systemd-unit <unit>', 'systemd: the qmail unit (QFLEET_SYSTEMD_UNIT)', env['QFLEET_SYSTEMD_UNIT'] ?? 'qmail')
    .option('--init-script <file>', 'init: the script taking start|stop|restart, e.g. /etc/init.d/qmail (QFLEET_INIT_SCRIPT)', env['QFLEET_INIT_SCRIPT'])
    .option('--pidfile <file>', "init, pidfile: the file holding qmail-send's pid (QFLEET_PIDFILE)", env['QFLEET_PIDFILE'])
    .option('--start-command <command>', 'pidfile: the command that starts qmail-send, split on spaces, quotes kept together, no shell (QFLEET_START_COMMAND)', env['QFLEET_START_COMMAND'])
    .option('--report-interval <seconds>', 'seconds between reports (QFLEET_REPORT_INTERVAL)', positiveInt, positiveInt(env['QFLEET_REPORT_INTERVAL'] ?? '30'))
    .option('--queue-interval <seconds>', 'seconds between queue statistics (QFLEET_QUEUE_INTERVAL)', positiveInt, positiveInt(env['QFLEET_QUEUE_INTERVAL'] ?? '10'))
    .option('--mailbox-interval <seconds>', 'seconds between mailbox statistics (QFLEET_MAILBOX_INTERVAL)', positiveInt, positiveInt(env['QFLEET_MAILBOX_INTERVAL'] ?? '300'))
    .option('--ca <file>', "CA certificate to verify the controller's TLS certificate (QFLEET_CA)", env['QFLEET_CA'])
    .option('--mailbox <format>', "qmail-start's default delivery, maildir or mbox: the mailbox shown for a home that has both (QFLEET_MAILBOX)", env['QFLEET_MAILBOX'] ?? 'maildir')
    .option('--maildir-name <name>', 'the Maildir in each home, as in ./Maildir/ (QFLEET_MAILDIR_NAME)', env['QFLEET_MAILDIR_NAME'] ?? 'Maildir')
    .option('--mbox-name <name>', 'the mbox in each home, as in ./Mailbox (QFLEET_MBOX_NAME)', env['QFLEET_MBOX_NAME'] ?? 'Mailbox')
    .option('--passwd <file>', 'the passwd file qmail-getpw reads, for the homes with mailboxes (QFLEET_PASSWD)', env['QFLEET_PASSWD'] ?? '/etc/passwd')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    controller?: string;
    token?: string;
    qmailHome: string;
    stateDir: string;
    service: string;
    serviceDir?: string;
    systemdUnit: string;
    initScript?: string;
    pidfile?: string;
    startCommand?: string;
    reportInterval: number;
    queueInterval: number;
    mailboxInterval: number;
    ca?: string;
    mailbox: string;
    maildirName: string;
    mboxName: string;
    passwd: string;
  }>();
  if (!o.controller) throw new UsageError('--controller (or QFLEET_CONTROLLER) is required');
  if (!/^https?:\/\//.test(o.controller)) throw new UsageError(`--controller must be an http:// or https:// URL, not "${o.controller}"`);
  const services = ['none', 'daemontools', 'systemd', 'init', 'pidfile'] as const;
  if (!services.includes(o.service as (typeof services)[number])) throw new UsageError(`--service must be one of ${services.join(', ')}`);
  if (o.mailbox !== 'maildir' && o.mailbox !== 'mbox') throw new UsageError(`--mailbox must be maildir or mbox, not "${o.mailbox}"`);
  const maildirName = homeRelative('--maildir-name', o.maildirName);
  const mboxName = homeRelative('--mbox-name', o.mboxName);
  if (o.service === 'daemontools' && !o.serviceDir) throw new UsageError('--service daemontools needs --service-dir (e.g. /service/qmail-send)');
  if (o.service === 'systemd' && !/^[\w@.:-]+$/.test(o.systemdUnit)) throw new UsageError(`--systemd-unit must be a unit name, not "${o.systemdUnit}"`);
  if (o.service === 'init' && !o.initScript) throw new UsageError('--service init needs --init-script (e.g. /etc/init.d/qmail)');
  if (o.service === 'pidfile' && !o.pidfile) throw new UsageError('--service pidfile needs --pidfile (the file holding qmail-send\'s pid)');
  const startCommand = o.startCommand === undefined ? undefined : splitCommand(o.startCommand);
  if (startCommand && !startCommand.length) throw new UsageError('--start-command is empty');
  return {
    controller: o.controller.replace(/\/+$/, ''),
    token: o.token,
    qmailHome: path.resolve(o.qmailHome),
    stateDir: path.resolve(o.stateDir),
    service: o.service as AgentSettings['service'],
    serviceDir: o.serviceDir ? path.resolve(o.serviceDir) : undefined,
    systemdUnit: o.systemdUnit,
    initScript: o.initScript ? path.resolve(o.initScript) : undefined,
    pidfile: o.pidfile ? path.resolve(o.pidfile) : undefined,
    startCommand,
    reportIntervalSec: o.reportInterval,
    queueIntervalSec: o.queueInterval,
    mailboxIntervalSec: o.mailboxInterval,
    caFile: o.ca,
    fault: env['QFLEET_AGENT_FAULT'],
    mailbox: { format: o.mailbox, maildirName, mboxName, passwdFile: path.resolve(o.passwd) },
  };
}

export class UsageError extends Error {}

/**
 * `/var/qmail/rc --flag "a b"` → ['/var/qmail/rc', '--flag', 'a b']: words split on blanks,
 * single or double quotes keep a word together; no variables, globs or other shell syntax,
 * since it runs without a shell.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+?)(?=\s|$|"|')|(\s+)/g;
  let word: string | null = null;
  for (const m of command.matchAll(re)) {
    if (m[4] !== undefined) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + (m[1] ?? m[2] ?? m[3]);
  }
  if (word !== null) words.push(word);
  if (/["']/.test(command.replace(/"[^"]*"|'[^']*'/g, ''))) throw new UsageError(`--start-command has an unclosed quote: ${command}`);
  return words;
}

/** `./Maildir/` in defaultdelivery is relative to the user's home (QMAIL.md §5): a name inside it, no way out. */
function homeRelative(flag: string, value: string): string {
  const name = value.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!name || path.isAbsolute(name) || name.split('/').some((part) => part === '..' || part === '')) {
    throw new UsageError(`${flag} must be a path inside the home directory, like Maildir, not "${value}"`);
  }
  return name;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a whole number of seconds above 0');
  return n;
}
