import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigApply, Hello } from '@qfleet/protocol';
import { applyRevision } from '../apply';
import { createPostStepRunner } from '../post-steps';
import { noServiceBackend } from '../post-steps/service-backend';
import { makeQmailTree, type QmailTree } from '../apply/test-support/qmail-tree';
import { collectHostFacts } from './host-facts';
import { factsAfterAck, reportNeededAfterApply, SLOW_APPLY_MS } from './acked-facts';

let tree: QmailTree;
beforeEach(async () => {
  // control/me is reported but never written by these applies; the alias file is removed by the second.
  tree = await makeQmailTree({ 'control/me': 'mail.example.com\n', 'alias/.qmail-old': '&old@corp.example\n' });
});
afterEach(() => tree.cleanup());

const facts = () => collectHostFacts({ qmailHome: tree.home, stateDir: tree.stateDir, service: noServiceBackend });
const context = () => ({ qmailHome: tree.home, stateDir: tree.stateDir, log: () => undefined, postSteps: createPostStepRunner({ qmailHome: tree.home, log: () => undefined }) });
const apply = (revision: number, files: ConfigApply['files'], removes: string[] = []): ConfigApply => ({ revision, files, removes, postSteps: [] });

describe('the report after an apply (only what the ack does not already say)', () => {
  it('after a real ok apply, the facts on disk are exactly the last ones told with the ack applied: no report', async () => {
    const first = apply(1, [
      { path: 'control/locals', content: 'localhost\na.example\n', mode: 0o644 },
      { path: 'alias/.qmail-old', content: '&old@corp.example\n', mode: 0o644 },
    ]);
    expect((await applyRevision(context(), first)).ok).toBe(true);
    const told = await facts();
    const second = apply(2, [{ path: 'control/locals', content: 'localhost\nb.example\n', mode: 0o644 }], ['alias/.qmail-old']);
    const ack = await applyRevision(context(), second);
    expect(ack.ok).toBe(true);
    const now = await facts();
    expect(factsAfterAck(told, second)).toEqual(now);
    expect(now.files['alias/.qmail-old']).toBeUndefined();
    expect(reportNeededAfterApply(ack, told, second, now)).toBe(false);
  });

  it('reports when a file the apply did not write changed on disk meanwhile', async () => {
    const told = await facts();
    const msg = apply(1, [{ path: 'control/locals', content: 'localhost\n', mode: 0o644 }]);
    const ack = await applyRevision(context(), msg);
    await writeFile(join(tree.home, 'control/me'), 'changed.example\n');
    expect(reportNeededAfterApply(ack, told, msg, await facts())).toBe(true);
  });

  it('reports after a failed or slow apply, a restart, or with nothing told on this connection', () => {
    const told: Hello = { agentVersion: '1', appliedRevision: 1, qmail: { installed: true, running: true, since: '2026-12-01T00:00:00Z' }, files: { 'control/me': 'a'.repeat(64) } };
    const msg = apply(2, []);
    const now = { ...told, appliedRevision: 2 };
    expect(reportNeededAfterApply({ ok: true, ms: 5 }, told, msg, now)).toBe(false);
    expect(reportNeededAfterApply({ ok: false, ms: 5 }, told, msg, { ...told })).toBe(true);
    expect(reportNeededAfterApply({ ok: true, ms: SLOW_APPLY_MS }, told, msg, now)).toBe(true);
    expect(reportNeededAfterApply({ ok: true, ms: 5 }, told, msg, { ...now, qmail: { ...now.qmail, since: '2026-12-07T00:00:00Z' } })).toBe(true);
    expect(reportNeededAfterApply({ ok: true, ms: 5 }, undefined, msg, now)).toBe(true);
  });
});
