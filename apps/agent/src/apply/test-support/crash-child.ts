/**
 * Runs one applyRevision in a real process so a fault can SIGKILL it mid-apply, as a crash
 * would. argv: qmailHome stateDir fault message-json [daemontools-service-dir]. Used by apply.spec.ts.
 */
import { applyRevision } from '../apply-revision';
import { createPostStepRunner, daemontoolsBackend } from '../../post-steps';

const [qmailHome, stateDir, fault, message, serviceDir] = process.argv.slice(2);
const log = (line: string) => process.stdout.write(line + '\n');
const service = serviceDir ? daemontoolsBackend(serviceDir) : undefined;
applyRevision({ qmailHome, stateDir, fault, log, postSteps: createPostStepRunner({ qmailHome, service, log }) }, JSON.parse(message)).then((ack) => {
  process.stdout.write(JSON.stringify(ack) + '\n');
});
