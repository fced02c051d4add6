import fs from 'node:fs';
import path from 'node:path';
import { FIELD_TABLE } from '@qfleet/qmail';
import type { Hello } from '@qfleet/protocol';
import { hashManagedFiles, readApplied } from '../apply';
import type { ServiceBackend } from '../post-steps';
import { serviceState } from '../post-steps/service-backend';
import { AGENT_VERSION } from '../cli/settings';

/** Files whose hashes the agent reports whether or not a revision wrote them, so drift and import can see them. */
const REPORTED_FILES = [...FIELD_TABLE.map((f) => f.path), 'control/virtualdomains', 'control/smtproutes', 'users/assign'];

/** What `hello` and every `report` say about this host (DESIGN.md "Agent protocol"). */
export async function collectHostFacts(opts: { qmailHome: string; stateDir: string; service: ServiceBackend }): Promise<Hello> {
  const applied = readApplied(opts.stateDir);
  const paths = [...new Set([...REPORTED_FILES, ...Object.keys(applied.files)])];
  const { running, since } = await serviceState(opts.service);
  return {
    agentVersion: AGENT_VERSION,
    appliedRevision: applied.revision,
    qmail: { installed: isQmailHome(opts.qmailHome), running, since },
    files: hashManagedFiles(opts.qmailHome, paths),
  };
}

/** qmail counts as installed when its home is there with its control folder or programs. */
function isQmailHome(home: string): boolean {
  return ['control', 'bin'].some((d) => fs.existsSync(path.join(home, d)));
}
