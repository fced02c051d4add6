import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { launchBrowser, expectText } from '../support/browser';
import { REPO, waitFor, type Proc } from '../support/processes';

const NAMES = ['ro1.example.net', 'ro2.example.net', 'ro3.example.net'];
const ROLLOUT_URL = /\/rollouts\/([0-9a-f-]{36})$/;

/** A rollout to group eu from the dashboard, followed live to the end, then reverted; in a real browser. */
describe('the dashboard rollouts pages', () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  const trees = NAMES.map(() => new QmailTree());
  const agents: Proc[] = [];
  let firstRollout: string;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    const ids: string[] = [];
    for (const [i, name] of NAMES.entries()) {
      const r = await ctl.api('POST', '/api/hosts', { name, groups: ['eu'] });
      if (r.status !== 201) throw new Error(`create host: ${r.status} ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
      agents.push(startAgent({ controllerUrl: ctl.url, token: r.body.enrollToken, qmailHome: trees[i].home, name: `agent-${i + 1}` }).proc);
    }
    // The group manages locals, rcpthosts and assignments, so a rollout may add to them.
    const put = await ctl.api('PUT', '/api/groups/eu/config', { locals: ['localhost', 'eu.example'], rcpthosts: ['eu.example'], assignments: [] });
    expect(put.status).toBe(200);
    await waitFor('the three agents connected and in sync', async () => {
      const hosts = await Promise.all(ids.map((id) => ctl.host(id)));
      return hosts.every((h) => h.connected && h.desiredRevision > 0 && h.appliedRevision === h.desiredRevision);
    });
    for (const t of trees) expect(t.read('control/locals')).toBe('localhost\neu.example\n');

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(ctl.url + '/');
    await page.getByTestId('signin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('signin-submit').click();
    await page.locator('[data-testid=host-row][data-host-name="ro3.example.net"]').waitFor();
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await browser?.close();
    await ctl?.stop();
    trees.forEach((t) => t.remove());
  });

  it('previews a change to group eu: the refused field by its path, then each host with its diff', async () => {
    await page.getByTestId('nav-rollouts').click();
    await page.getByText('No rollouts yet').waitFor();
    await page.getByTestId('new-rollout').click();

    const change = page.getByTestId('rollout-change');
    expect(JSON.parse(await change.inputValue())).toEqual({ add: { locals: ['new.example'], rcpthosts: ['new.example'] } });
    await page.locator('[data-testid=rollout-group][data-group=eu]').check();
    await expectText(page.getByTestId('rollout-targeted'), /3 hosts/);

    await page.getByTestId('rollout-batch-size').fill('0');
    await page.getByTestId('rollout-preview').click();
    await expectText(page.getByTestId('error-field').first(), /batchSize/);

    // One host a batch, each batch watched for 2 s: the rollout runs long enough to be seen running.
    await page.getByTestId('rollout-batch-size').fill('1');
    await page.getByTestId('rollout-health').check();
    await page.getByTestId('health-settle').fill('2');
    await page.getByTestId('health-queue-growth').fill('100');
    await page.getByTestId('rollout-preview').click();
    await expectText(page.getByTestId('preview-summary'), /3 hosts in 3 batches · 3 change/);
    for (const name of NAMES) {
      const host = page.locator(`[data-testid=preview-host][data-host-name="${name}"][data-outcome=change]`);
      await expectText(host.locator('[data-testid=preview-change][data-path="control/locals"] [data-testid=preview-diff]'), /^\+new\.example$/m);
      await expectText(host.locator('[data-testid=preview-change][data-path="control/rcpthosts"] [data-testid=preview-diff]'), /^\+new\.example$/m);
    }
    expect(await page.getByTestId('error-box').count()).toBe(0);
    // a dry run stores nothing
    expect((await ctl.api('GET', '/api/rollouts')).body).toEqual([]);
    for (const t of trees) expect(t.read('control/locals')).toBe('localhost\neu.example\n');
  });

  it('starts it and follows it live to completed: every host applied, the files changed', async () => {
    // A full reload would drop this; the page must move on by itself.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await page.getByTestId('rollout-start').click();
    await page.waitForURL(ROLLOUT_URL);
    firstRollout = rolloutIdOf(page);
    await page.locator('[data-testid=live-state][data-live=true]').waitFor();
    // While the socket is up the page does not poll: from here on it moves on progress events alone.
    await page.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=running]').waitFor();
    expect(await page.getByTestId('rollout-pause').isEnabled()).toBe(true);
    await expectText(page.getByTestId('rollout-settings'), /settle 2 s · queue growth ≤ 100 · then halt/);

    await page.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=completed]').waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expectText(page.getByTestId('rollout-done'), /3 of 3 done/);
    await expectText(page.getByTestId('rollout-batch'), /all 3 batches done/);
    for (const name of NAMES) await page.locator(`[data-testid=rollout-host-row][data-host-name="${name}"][data-state=applied]`).waitFor();
    for (const t of trees) {
      expect(t.read('control/locals')).toBe('localhost\neu.example\nnew.example\n');
      expect(t.read('control/rcpthosts')).toBe('eu.example\nnew.example\n');
    }

    // a completed rollout is reverted, not steered; nothing failed, so nothing to retry
    for (const step of ['pause', 'resume', 'cancel', 'retry']) expect(await page.getByTestId(`rollout-${step}`).isDisabled()).toBe(true);
    expect(await page.getByTestId('rollout-revert').isEnabled()).toBe(true);

    const view = (await ctl.api('GET', `/api/rollouts/${firstRollout}`)).body;
    expect(view).toMatchObject({ status: 'completed', kind: 'change', batches: 3, counts: { applied: 3 }, health: { settleSeconds: 2, maxQueueGrowth: 100, onFail: 'halt' } });
  });

  it('reverts it with a new rollout that completes and takes new.example out again', async () => {
    await page.getByTestId('rollout-revert').click();
    await page.getByTestId('rollout-confirm').click();
    await page.waitForURL((url) => ROLLOUT_URL.test(url.pathname) && !url.pathname.endsWith(firstRollout));
    const revertId = rolloutIdOf(page);

    await page.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=completed]').waitFor({ timeout: 60_000 });
    await expectText(page.locator('.page-head .summary'), /a revert of an earlier rollout/);
    for (const name of NAMES) await page.locator(`[data-testid=rollout-host-row][data-host-name="${name}"][data-state=applied]`).waitFor();
    for (const t of trees) {
      expect(t.read('control/locals')).toBe('localhost\neu.example\n');
      expect(t.read('control/rcpthosts')).toBe('eu.example\n');
    }
    expect((await ctl.api('GET', `/api/rollouts/${revertId}`)).body).toMatchObject({ kind: 'revert', parentId: firstRollout, status: 'completed' });

    await page.getByTestId('nav-rollouts').click();
    await page.locator(`[data-testid=rollout-row][data-rollout-id="${revertId}"][data-kind=revert][data-status=completed]`).waitFor();
    await page.locator(`[data-testid=rollout-row][data-rollout-id="${firstRollout}"][data-kind=change][data-status=completed]`).waitFor();
    await expectText(page.locator(`[data-testid=rollout-row][data-rollout-id="${firstRollout}"] [data-testid=rollout-counts]`), /3 applied/);
  });

  it('shows a viewer the rollout without a button it may not use', async () => {
    const viewer = await ctl.api('POST', '/api/tokens', { name: 'rollout reader', role: 'viewer' });
    expect(viewer.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    try {
      const other = await context.newPage();
      await other.goto(`${ctl.url}/rollouts/${firstRollout}`);
      await other.getByTestId('signin-token').fill(viewer.body.token);
      await other.getByTestId('signin-submit').click();
      await other.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=completed]').waitFor();
      await other.locator('[data-testid=live-state][data-live=true]').waitFor();

      await other.locator('[data-testid=signed-in-as][data-role=viewer]').waitFor();
      await other.locator('[data-testid=rollout-host-row]').first().waitFor();
      // No Pause, Resume, Cancel, Retry or Revert: each would answer 403 (GET /api/whoami gives the role).
      expect(await other.getByTestId('rollout-steer').count()).toBe(0);
      for (const step of ['pause', 'resume', 'cancel', 'retry', 'revert']) expect(await other.getByTestId(`rollout-${step}`).count()).toBe(0);
      await other.getByTestId('nav-rollouts').click();
      await other.locator(`[data-testid=rollout-row][data-rollout-id="${firstRollout}"]`).waitFor();
      expect(await other.getByTestId('new-rollout').count()).toBe(0);
      // The API still refuses what the page no longer offers.
      const refused = await ctl.api('POST', `/api/rollouts/${firstRollout}/revert`, undefined, viewer.body.token);
      expect(refused.status).toBe(403);
      expect(refused.body.message).toMatch(/needs the operator role; the token "rollout reader" is viewer/);
      expect((await ctl.api('GET', '/api/rollouts')).body).toHaveLength(2);
    } finally {
      await context.close();
    }
  });
  it('halts when a host fails, offers Retry failed, and the retry completes once the host is fixed', async () => {
    trees[0].breakQmailNewu();
    await page.getByTestId('nav-rollouts').click();
    await page.getByTestId('new-rollout').click();
    await page.locator('[data-testid=rollout-group][data-group=eu]').check();
    await page.getByTestId('rollout-change').fill(JSON.stringify({ add: { assignments: [ASSIGNMENT] } }));
    await page.getByTestId('rollout-preview').click();
    await expectText(page.getByTestId('preview-summary'), /3 hosts in 1 batch · 3 change/);
    // An assignment picks the uid mail is delivered as: each host's preview says so above its diff.
    for (const name of NAMES) await expectText(page.locator(`[data-testid=preview-host][data-host-name="${name}"] [data-testid=privileged-warning]`), /assignments\[\d+\]: assigns [=+]/);
    await page.getByTestId('rollout-start').click();
    await page.waitForURL(ROLLOUT_URL);
    const failedId = rolloutIdOf(page);

    await page.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=halted]').waitFor({ timeout: 60_000 });
    await expectText(page.getByTestId('rollout-reason'), /1 host\(s\) failed, more than maxFailures 0/);
    const failedRow = page.locator(`[data-testid=rollout-host-row][data-host-name="${NAMES[0]}"][data-state=failed]`);
    await expectText(failedRow.getByTestId('rollout-host-error'), /qmail-newu/);
    for (const name of NAMES.slice(1)) await page.locator(`[data-testid=rollout-host-row][data-host-name="${name}"][data-state=applied]`).waitFor();
    // halted: resume (with a higher failure limit), cancel, retry and revert; not pause
    expect(await page.getByTestId('rollout-pause').isDisabled()).toBe(true);
    for (const step of ['resume', 'cancel', 'retry', 'revert']) expect(await page.getByTestId(`rollout-${step}`).isEnabled()).toBe(true);
    expect(await page.getByTestId('rollout-resume-limit').inputValue()).toBe('1');

    trees[0].installStandIn('qmail-newu', fs.readFileSync(path.join(REPO, 'tools', 'stand-ins', 'qmail-newu'), 'utf8'));
    await page.getByTestId('rollout-retry').click();
    await page.waitForURL((url) => ROLLOUT_URL.test(url.pathname) && !url.pathname.endsWith(failedId));
    await page.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=completed]').waitFor({ timeout: 60_000 });
    await expectText(page.locator('.page-head .summary'), /a retry of an earlier rollout/);
    expect(await page.getByTestId('rollout-host-row').count()).toBe(1);
    await page.locator(`[data-testid=rollout-host-row][data-host-name="${NAMES[0]}"][data-state=applied]`).waitFor();
    expect(trees[0].exists('users/cdb')).toBe(true);
    expect(trees[0].read('users/assign')).toContain('+virt.example-:virt:89:89:/home/virt:-::');
  });
});

const ASSIGNMENT = { kind: 'prefix', address: 'virt.example-', user: 'virt', uid: 89, gid: 89, home: '/home/virt', dash: '-', ext: '' };

function rolloutIdOf(page: Page): string {
  const m = ROLLOUT_URL.exec(new URL(page.url()).pathname);
  if (!m) throw new Error(`not a rollout page: ${page.url()}`);
  return m[1];
}

