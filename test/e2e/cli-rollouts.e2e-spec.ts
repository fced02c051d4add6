import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { REPO, waitFor, type Proc } from '../support/processes';
import { runCli } from '../support/cli';

const GROUP_DOC = { locals: ['example.com'], rcpthosts: ['example.com'], morercpthosts: ['more.example'] };
const ADD_NEW = { add: { locals: ['new.example'], rcpthosts: ['new.example'] } };

/** `qfleet rollout …` against a real controller and three real agents on qmail trees. */
describe('qfleet rollout against a real controller and agents', () => {
  let ctl: TestController;
  let work: string;
  const agents: Proc[] = [];
  const hosts: { id: string; name: string; qmail: QmailTree }[] = [];

  const qfleet = (args: string[], opts: { input?: string } = {}) => runCli(ctl.url, args, opts);

  const files = (rel: string) => hosts.map((h) => h.qmail.read(rel));

  async function allApplied(): Promise<void> {
    await waitFor('every host applied its desired revision', async () => {
      const list = (await ctl.api('GET', '/api/hosts')).body as { appliedRevision: number; desiredRevision: number; failedRevision: number | null }[];
      return list.every((h) => h.appliedRevision === h.desiredRevision);
    });
  }

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-cli-rollouts-'));
    for (const name of ['mx1.example.net', 'mx2.example.net', 'mx3.example.net']) {
      const qmail = new QmailTree();
      const r = await ctl.api('POST', '/api/hosts', { name, groups: ['edge'] });
      expect(r.status).toBe(201);
      hosts.push({ id: r.body.id, name, qmail });
      agents.push(startAgent({ controllerUrl: ctl.url, token: r.body.enrollToken, qmailHome: qmail.home, name }).proc);
    }
    await waitFor('three agents connected', async () => ((await ctl.api('GET', '/api/hosts')).body as { connected: boolean }[]).every((h) => h.connected));
    expect((await ctl.api('PUT', '/api/groups/edge/config', GROUP_DOC)).status).toBe(200);
    await allApplied();
    expect(files('control/locals')).toEqual(['example.com\n', 'example.com\n', 'example.com\n']);
  });
  afterAll(async () => {
    for (const a of agents) await a.stop();
    await ctl?.stop();
    hosts.forEach((h) => h.qmail.remove());
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('dry-runs a change: per host its batch, the diff and the post-steps; --json gives the preview; nothing changes', async () => {
    const before = hosts.map((h) => h.qmail.snapshot());
    const r = await qfleet(['rollout', 'create', '--group', 'edge', '--batch-size', '1', '--dry-run', '--change', JSON.stringify(ADD_NEW)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^mx1\.example\.net: batch 1 of 3, would change$/m);
    expect(r.stdout).toMatch(/^mx3\.example\.net: batch 3 of 3, would change$/m);
    expect(r.stdout).toMatch(/^modify control\/locals$/m);
    expect(r.stdout).toMatch(/^\+new\.example$/m);
    expect(r.stdout).toMatch(/^ example\.com$/m);
    expect(r.stdout).toMatch(/^then: \S/m);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('dry run: 3 hosts in 3 batches, 3 would change; nothing was changed');

    // A host given by name, as the other commands take them; the change from standard input.
    const json = await qfleet(['--json', 'rollout', 'create', '--host', 'mx2.example.net', '--dry-run', '--change', '-'], { input: JSON.stringify(ADD_NEW) });
    expect(json.code).toBe(0);
    const preview = JSON.parse(json.stdout);
    expect(preview).toMatchObject({ dryRun: true, batches: 1, hosts: [{ name: 'mx2.example.net', hostId: hosts[1].id, outcome: 'change' }] });
    expect(preview.hosts[0].changes.map((c: { path: string }) => c.path)).toEqual(expect.arrayContaining(['control/locals', 'control/rcpthosts']));

    // Hosts by name pattern.
    const matched = await qfleet(['--json', 'rollout', 'create', '--match', 'MX[13]*', 'mx3*', '--dry-run', '--change', JSON.stringify(ADD_NEW)]);
    expect(matched.code).toBe(1);
    expect(matched.stderr).toContain('target.names[0]');
    const byPattern = await qfleet(['--json', 'rollout', 'create', '--match', 'MX1*', '--match', '*3.example.net', '--dry-run', '--change', JSON.stringify(ADD_NEW)]);
    expect(JSON.parse(byPattern.stdout).hosts.map((h: { name: string }) => h.name)).toEqual(['mx1.example.net', 'mx3.example.net']);

    expect(hosts.map((h) => h.qmail.snapshot())).toEqual(before);
    expect((await ctl.api('GET', '/api/rollouts')).body).toEqual([]);
  });

  it('refuses a bad change or call with the field named, and starts nothing', async () => {
    const invalid = await qfleet(['rollout', 'create', '--group', 'edge', '--change', '{"add":{"locals":"x"}}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toMatch(/^qfleet: invalid .*\(1 field\):\n {2}change\.add\.locals: \S/);

    const notJson = await qfleet(['rollout', 'create', '--group', 'edge', '--change', '{"add":']);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^qfleet: --change is not valid JSON/);

    const noTarget = await qfleet(['rollout', 'create', '--change', JSON.stringify(ADD_NEW)]);
    expect(noTarget).toMatchObject({ code: 2, stderr: 'qfleet: give the hosts to change: --group NAME, --host NAME or --match PATTERN (each repeatable)\n' });

    const noGroup = await qfleet(['rollout', 'create', '--group', 'nowhere', '--change', JSON.stringify(ADD_NEW)]);
    expect(noGroup.code).toBe(1);
    expect(noGroup.stderr).toContain('target.groups[0]: no host is in group nowhere');

    const gate = await qfleet(['rollout', 'create', '--group', 'edge', '--max-queue-growth', '5', '--change', JSON.stringify(ADD_NEW)]);
    expect(gate).toMatchObject({ code: 2, stderr: expect.stringContaining('--settle') });

    expect((await ctl.api('GET', '/api/rollouts')).body).toEqual([]);
  });

  let rolloutId = '';

  it('creates a rollout in batches of one and watches it to completion: exit 0, one line per step, the files changed', async () => {
    const changeFile = path.join(work, 'change.json');
    fs.writeFileSync(changeFile, JSON.stringify(ADD_NEW));
    const r = await qfleet(['rollout', 'create', '--group', 'edge', '--batch-size', '1', '--change', `@${changeFile}`, '--watch']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    rolloutId = /^created rollout ([0-9a-f-]{36}): 3 hosts in 3 batches of 1, at most 0 failed$/.exec(lines[0])?.[1] ?? '';
    expect(rolloutId).not.toBe('');
    for (const [i, h] of hosts.entries()) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${h.name.replace(/\./g, '\\.')}: applied \\(revision \\d+\\)$`)));
      expect(lines).toContain(`batch ${i + 1} of 3: ${h.name}`);
    }
    // Batches in order: a host's line comes after its batch's.
    expect(lines.indexOf('batch 2 of 3: mx2.example.net')).toBeGreaterThan(lines.findIndex((l) => l.startsWith('mx1.example.net: applied')));
    expect(lines[lines.length - 1]).toBe(`rollout ${rolloutId} completed: 3 applied`);

    expect(files('control/locals')).toEqual(Array(3).fill('example.com\nnew.example\n'));
    expect(files('control/rcpthosts')).toEqual(Array(3).fill('example.com\nnew.example\n'));

    // Watching a rollout that has ended prints how it ended at once.
    const again = await qfleet(['rollout', 'watch', rolloutId]);
    expect(again).toMatchObject({ code: 0, stdout: `rollout ${rolloutId} completed: 3 applied\n` });
  });

  it('lists and shows rollouts, by id or by the start of one, and --json gives the views as they are', async () => {
    const list = await qfleet(['rollout', 'list']);
    expect(list.code).toBe(0);
    const [header, row, ...rest] = list.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'KIND', 'STATUS', 'BATCH', 'HOSTS', 'CREATED', 'BY']);
    expect(row.split(/\s{2,}/).slice(0, 5)).toEqual([rolloutId, 'change', 'completed', 'batch 3 of 3', '3 applied']);
    expect(rest).toEqual([]);
    expect(JSON.parse((await qfleet(['--json', 'rollout', 'list'])).stdout)).toEqual((await ctl.api('GET', '/api/rollouts')).body);

    const show = await qfleet(['rollout', 'show', rolloutId.slice(0, 8)]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^id: +${rolloutId}$`, 'm'));
    expect(show.stdout).toMatch(/^status: +completed, batch 3 of 3$/m);
    expect(show.stdout).toMatch(/^mx2\.example\.net\s+2\s+applied\s+\d+ → \d+$/m);
    const json = await qfleet(['--json', 'rollout', 'show', rolloutId]);
    expect(JSON.parse(json.stdout)).toEqual((await ctl.api('GET', `/api/rollouts/${rolloutId}`)).body);

    const steered = await qfleet(['rollout', 'pause', rolloutId]);
    expect(steered).toMatchObject({ code: 1, stderr: `qfleet: rollout ${rolloutId} is completed: it is not running\n` });
    expect(await qfleet(['rollout', 'show', 'fff'])).toMatchObject({ code: 1, stderr: 'qfleet: no rollout whose id starts with "fff"\n' });
  });

  it('reverts the rollout with a new one that brings the files back; --json --watch prints the final view, the progress on stderr', async () => {
    const r = await qfleet(['--json', 'rollout', 'revert', rolloutId, '--watch']);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout);
    // In batches of one, as the rollout it reverts.
    expect(r.stderr).toMatch(new RegExp(`^rollout ${view.id} \\(revert\\): 3 hosts in 3 batches, running\nbatch 1 of 3: mx1\\.example\\.net\n`));
    expect(r.stderr).toMatch(/^mx3\.example\.net: applied \(revision \d+\)$/m);
    expect(view).toMatchObject({ kind: 'revert', parentId: rolloutId, status: 'completed', batchSize: 1, batches: 3, counts: expect.objectContaining({ applied: 3 }) });
    expect(view.hosts.map((h: { name: string; state: string }) => [h.name, h.state])).toEqual(hosts.map((h) => [h.name, 'applied']));
    // The watch follows up to 1,000 hosts: the same page the API gives for pageSize=1000.
    expect((await ctl.api('GET', `/api/rollouts/${view.id}?pageSize=1000`)).body).toEqual(view);
    await allApplied();
    expect(files('control/locals')).toEqual(Array(3).fill('example.com\n'));
    expect(files('control/rcpthosts')).toEqual(Array(3).fill('example.com\n'));
  });

  it('exits 1 when the rollout halts, with the failed host and its error; retry then finishes it', async () => {
    hosts[1].qmail.installStandIn('qmail-newmrh', '#!/bin/sh\necho qmail-newmrh >> bin/calls.log\necho "qmail-newmrh: fatal: out of memory" >&2\nexit 111\n');
    const change = JSON.stringify({ add: { morercpthosts: ['extra.example'] } });
    const r = await qfleet(['rollout', 'create', '--group', 'edge', '--batch-size', '1', '--change', change, '--watch']);
    expect(r.code).toBe(1);
    const id = /^created rollout ([0-9a-f-]{36})/.exec(r.stdout)?.[1] ?? 'no id printed';
    expect(r.stderr).toMatch(new RegExp(`^qfleet: rollout ${id} halted, not completed: 1 host\\(s\\) failed, more than maxFailures 0\\n$`));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^mx2\.example\.net: failed: .*out of memory/));
    const table = lines.slice(lines.findIndex((l) => l.startsWith('HOST')));
    expect(table[0].split(/\s{2,}/)).toEqual(['HOST', 'BATCH', 'STATE', 'ERROR']);
    expect(table[1]).toMatch(/^mx2\.example\.net\s+2\s+failed\s+.*out of memory/);
    expect(table[2]).toBe(`rollout ${id} halted at batch 2 of 3 (1 host(s) failed, more than maxFailures 0): 1 applied, 1 failed, 1 pending`);
    expect(files('control/morercpthosts')).toEqual(['more.example\nextra.example\n', 'more.example\n', 'more.example\n']);

    // Fixed on the host, the failed one is retried alone.
    hosts[1].qmail.installStandIn('qmail-newmrh', fs.readFileSync(path.join(REPO, 'tools', 'stand-ins', 'qmail-newmrh'), 'utf8'));
    const retry = await qfleet(['rollout', 'retry', id, '--watch']);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^created retry rollout [0-9a-f-]{36}: 1 host in 1 batch of 1, at most 0 failed$/m);
    expect(retry.stdout).toMatch(/completed: 1 applied\n$/);
    expect(hosts[1].qmail.read('control/morercpthosts')).toBe('more.example\nextra.example\n');
  });
});
