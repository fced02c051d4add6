import path from 'node:path';
import pino from 'pino';
import { CommanderError } from 'commander';
import { parseSettings, UsageError } from './cli/settings';
import { recoverJournal, type ApplyContext } from './apply';
import { createPostStepRunner, type ServiceBackend } from './post-steps';
import { serviceBackendFor } from './post-steps/select-backend';
import { runControllerLink, TokenRefused } from './link/controller-link';
import { installDeliveryWrappers, runDeliveryCommand } from './delivery';

/**
 * qfleet-agent: runs on each mail server, as root in production, under systemd or
 * daemontools. It exits non-zero only on bad configuration; everything else is retried.
 */
async function main(): Promise<number> {
  // `.qmail` lines run this same bundle as qfleet-autoreply / qfleet-filter (QMAIL.md §3).
  const delivery = await runDeliveryCommand(process.argv.slice(2));
  if (delivery !== null) return delivery;

  const log = pino({ base: { app: 'qfleet-agent' }, timestamp: pino.stdTimeFunctions.isoTime });
  let settings;
  try {
    settings = parseSettings(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`qfleet-agent: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  log.info({ controller: settings.controller, qmailHome: settings.qmailHome, stateDir: settings.stateDir, service: settings.service }, 'starting');

  try {
    const written = await installDeliveryWrappers(settings.qmailHome, path.resolve(process.argv[1]), process.execPath);
    if (written.length) log.info({ written }, 'installed the autoreply/filter wrappers');
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'could not install the autoreply/filter wrappers in alias/qfleet/bin');
  }

  const service: ServiceBackend = serviceBackendFor(settings);
  const line = (l: string) => log.info(l);
  const applyContext: ApplyContext = {
    qmailHome: settings.qmailHome,
    stateDir: settings.stateDir,
    postSteps: createPostStepRunner({ qmailHome: settings.qmailHome, service, log: line }),
    log: line,
    passwdFile: settings.mailbox.passwdFile,
    fault: settings.fault,
  };

  // An apply interrupted by a crash is rolled back before anything else happens.
  const recovered = await recoverJournal(applyContext);
  if (recovered !== 'none') log.warn({ journal: recovered }, 'an interrupted apply was found at start-up');

  try {
    const link = await runControllerLink(settings, { applyContext, service, log });
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => {
      log.info({ signal: sig }, 'stopping');
      link.close();
    });
    await link.done;
    return 0;
  } catch (e) {
    if (e instanceof TokenRefused) {
      log.fatal(e.message);
      return 3;
    }
    throw e;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`qfleet-agent: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
