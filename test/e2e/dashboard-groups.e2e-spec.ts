import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { launchBrowser, signIn, expectText } from '../support/browser';
import { waitFor, type Proc } from '../support/processes';

/** Set QFLEET_SCREENSHOTS to a directory to keep a picture of each page the spec visits. */
async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env['QFLEET_SCREENSHOTS'];
  if (dir) await page.screenshot({ path: path.join(dir, `dashboard-groups-${name}.png`), fullPage: true });
}

const NAMES = ['gr1.example.net', 'gr2.example.net', 'other.example.org'];
const ROLLOUT_URL = /\/rollouts\/([0-9a-f-]{36})$/;

/**
 * Groups from the dashboard in a real browser, against a real controller and three real
 * agents with qmail trees on disk: a group made and filled, a member's effective document
 * with each entry's origin, a rollout by host-name pattern marked on a member's queue chart,
 * and a viewer who gets the same pages without the buttons it may not use.
 */
describe('the dashboard groups pages', () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  const trees = NAMES.map(() => new QmailTree());
  const agents: Proc[] = [];
  const ids: string[] = [];
  let rolloutId = '';

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    for (const [i, name] of NAMES.entries()) {
      const r = await ctl.api('POST', '/api/hosts', { name });
      if (r.status !== 201) throw new Error(`create host: ${r.status} ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
      agents.push(startAgent({ controllerUrl: ctl.url, token: r.body.enrollToken, qmailHome: trees[i].home, name: `agent-${i + 1}`, args: ['--queue-interval', '1'] }).proc);
    }
    // gr1's own document: the group's entries go under it. gr2's is empty; a host gets its
    // groups' documents with a revision of its own (joining a group re-renders only a host that has one).
    expect((await ctl.api('PUT', `/api/hosts/${ids[0]}/config`, { locals: ['gr1.example'], rcpthosts: ['gr1.example'] })).status).toBe(200);
    expect((await ctl.api('PUT', `/api/hosts/${ids[1]}/config`, {})).status).toBe(200);
    await waitFor('the agents connected, gr1 and gr2 in sync', async () => {
      const hosts = await Promise.all(ids.map((id) => ctl.host(id)));
      return hosts.every((h) => h.connected) && hosts[0].appliedRevision === 1 && hosts[1].appliedRevision === 1;
    });

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, ctl.url, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await browser?.close();
    await ctl?.stop();
    trees.forEach((t) => t.remove());
  });

  it('creates group web, writes its document and adds two members, whose files follow', async () => {
    await page.getByTestId('nav-groups').click();
    await page.getByText('No groups yet.').waitFor();
    await page.getByTestId('group-name').fill('web');
    await page.getByTestId('group-create').click();
    await page.waitForURL((url) => url.pathname === '/groups/web');
    // The group's document has the host's forms; the JSON editor is their Advanced tab.
    await page.getByTestId('config-tab-locals').waitFor();
    await page.getByTestId('config-tab-advanced').click();
    await page.locator('[data-testid=group-editor][data-loaded=true]').waitFor();

    await page.getByTestId('group-editor').fill(JSON.stringify({ locals: ['localhost', 'web.example'], rcpthosts: ['web.example'], databytes: 1000000 }));
    await page.getByTestId('group-save').click();
    await page.locator('[data-testid=group-saved][data-revision="1"]').waitFor();

    for (const name of NAMES.slice(0, 2)) {
      await page.getByTestId('group-member-pick').selectOption({ label: name });
      await page.getByTestId('group-member-add').click();
      await page.locator(`[data-testid=group-member][data-host-name="${name}"]`).waitFor();
    }
    await page.locator('[data-testid=group-summary][data-hosts="2"]').waitFor();
    expect((await ctl.api('GET', '/api/groups/web')).body.hosts.map((h: { name: string }) => h.name)).toEqual(NAMES.slice(0, 2));
    await waitFor('the members’ files written', () => trees[0].read('control/locals') === 'localhost\nweb.example\ngr1.example\n' && trees[1].read('control/locals') === 'localhost\nweb.example\n');
    expect(trees[0].read('control/databytes')).toBe('1000000\n');
    expect(trees[2].read('control/locals')).toBeNull();
    await snap(page, 'group');
  });

  it("shows each member's plan in the group forms' review before anything is saved", async () => {
    const revisions = async () => Promise.all(ids.slice(0, 2).map(async (id) => (await ctl.host(id)).desiredRevision));
    const before = { revisions: await revisions(), group: (await ctl.api('GET', '/api/groups/web')).body.revision, locals: trees.map((t) => t.read('control/locals')) };
    await page.getByTestId('config-tab-locals').click();
    await page.locator('[data-testid=config-forms][data-loaded=true]').waitFor();
    await page.getByTestId('add-locals').click();
    await page.getByTestId('input-locals[2]').fill('shop.example');
    await page.getByTestId('forms-review').click();
    const review = page.getByTestId('forms-review-panel');
    await review.locator('[data-testid=review-group-counts][data-members="2"][data-changed="2"][data-refused="0"]').waitFor();
    // Member by member, with the host page's plan pieces: gr1 keeps its own domain under the group's.
    for (const name of NAMES.slice(0, 2)) {
      const member = review.locator(`[data-testid=review-member][data-host="${name}"]`);
      await member.locator('[data-testid=review-change][data-path="control/locals"][data-action=modify]').waitFor();
      expect(await member.locator('[data-testid=review-change][data-path="control/locals"] [data-testid=review-diff]').textContent()).toContain('+shop.example');
      await expectText(member.getByTestId('review-post-steps'), /.+/);
    }
    expect(await review.locator('[data-testid=review-member][data-host="gr1.example.net"] [data-testid=review-diff]').first().textContent()).toContain('gr1.example');
    await snap(page, 'plan');
    // Nothing stored or sent before the confirmation.
    expect(await revisions()).toEqual(before.revisions);
    expect((await ctl.api('GET', '/api/groups/web')).body.revision).toBe(before.group);
    expect(trees.map((t) => t.read('control/locals'))).toEqual(before.locals);
    await page.getByTestId('forms-back').click();
    await page.getByTestId('forms-discard').click();
    await review.waitFor({ state: 'detached' });
  });

  it('takes a member out again, and deletes an empty group after a confirmation', async () => {
    await page.getByTestId('group-member-pick').selectOption({ label: NAMES[2] });
    await page.getByTestId('group-member-add').click();
    const other = page.locator(`[data-testid=group-member][data-host-name="${NAMES[2]}"]`);
    await other.waitFor();
    expect(await page.getByTestId('group-delete').isDisabled()).toBe(true); // it has members
    await other.getByTestId('group-member-remove').click();
    await other.waitFor({ state: 'detached' });
    expect((await ctl.host(ids[2])).groups).toEqual([]);

    await page.getByTestId('nav-groups').click();
    await page.getByTestId('group-name').fill('scratch');
    await page.getByTestId('group-create').click();
    await page.waitForURL((url) => url.pathname === '/groups/scratch');
    await page.getByTestId('group-delete').click();
    await page.getByTestId('group-delete-confirm').click();
    await page.waitForURL((url) => url.pathname === '/groups');
    await page.locator('[data-testid=group-row][data-group=web][data-hosts="2"]').waitFor();
    expect(await page.locator('[data-testid=group-row][data-group=scratch]').count()).toBe(0);
    expect((await ctl.api('GET', '/api/groups/scratch')).status).toBe(404);
  });

  it("shows a member's effective document by host name, each entry with the layer it comes from", async () => {
    await page.goto(`${ctl.url}/hosts/${NAMES[0]}`);
    const eff = page.locator('[data-testid=effective-document][data-layers="group:web host"]');
    await eff.waitFor();
    const entry = (p: string) => eff.locator(`[data-testid=effective-entry][data-path="${p}"]`);
    await entry('locals[2]').waitFor();
    const expected: [string, string, RegExp][] = [
      ['locals[0]', 'group:web', /localhost/],
      ['locals[1]', 'group:web', /web\.example/],
      ['locals[2]', 'host', /gr1\.example/],
      ['rcpthosts[0]', 'group:web', /web\.example/],
      ['rcpthosts[1]', 'host', /gr1\.example/],
      ['databytes', 'group:web', /1000000/],
    ];
    for (const [p, origin, value] of expected) {
      expect(await entry(p).getAttribute('data-origin')).toBe(origin);
      expect(await entry(p).textContent()).toMatch(value);
    }
    expect(await entry('databytes').getByTestId('effective-origin').textContent()).toBe('group web');
    expect(await entry('locals[2]').getByTestId('effective-origin').textContent()).toBe("host's own");
    // The API agrees: the page shows what GET …/effective answers.
    const api = (await ctl.api('GET', `/api/hosts/${ids[0]}/effective`)).body;
    expect(api.origin).toMatchObject({ 'locals[0]': 'group:web', 'locals[2]': 'host', databytes: 'group:web' });
    await eff.scrollIntoViewIfNeeded();
    await snap(page, 'effective');

    // The origin links to the group.
    await entry('databytes').getByRole('link').click();
    await page.waitForURL((url) => url.pathname === '/groups/web');
  });

  it('rolls a change out to the hosts matching a name pattern, and marks it on a member’s queue chart', async () => {
    // other.example.org was in web for a moment: its files stay as they were (unmanaged), untouched by the rollout.
    const otherLocals = trees[2].read('control/locals');
    await page.getByTestId('nav-rollouts').click();
    await page.getByTestId('new-rollout').click();
    await page.getByTestId('rollout-match').fill('gr?.example.*');
    await page.locator('[data-testid=rollout-match-count][data-count="2"]').waitFor();
    await expectText(page.getByTestId('rollout-targeted'), /^2 hosts$/);
    await page.getByTestId('rollout-change').fill(JSON.stringify({ add: { locals: ['pattern.example'] } }));
    await page.getByTestId('rollout-preview').click();
    await expectText(page.getByTestId('preview-summary'), /^2 hosts in 1 batch · 2 change/);
    for (const name of NAMES.slice(0, 2)) {
      await expectText(page.locator(`[data-testid=preview-host][data-host-name="${name}"] [data-testid=preview-change][data-path="control/locals"] [data-testid=preview-diff]`), /^\+pattern\.example$/m);
    }
    expect(await page.locator(`[data-testid=preview-host][data-host-name="${NAMES[2]}"]`).count()).toBe(0);
    await snap(page, 'rollout-preview');

    await page.getByTestId('rollout-start').click();
    await page.waitForURL(ROLLOUT_URL);
    rolloutId = ROLLOUT_URL.exec(new URL(page.url()).pathname)![1];
    await page.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=completed]').waitFor({ timeout: 60_000 });
    expect((await ctl.api('GET', `/api/rollouts/${rolloutId}`)).body.target).toEqual({ names: ['gr?.example.*'] });
    expect(trees[0].read('control/locals')).toBe('localhost\nweb.example\ngr1.example\npattern.example\n');
    expect(trees[1].read('control/locals')).toBe('localhost\nweb.example\npattern.example\n');
    expect(trees[2].read('control/locals')).toBe(otherLocals);
    await snap(page, 'rollout-done');

    await page.goto(`${ctl.url}/hosts/${NAMES[0]}/queue`);
    await page.locator('[data-testid=chart-marker][data-kind=rollout]').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('chart-markers').textContent()).toMatch(/rollout\.apply/);
    await snap(page, 'chart-rollout-marker');
  });

  it('shows a viewer the groups, the effective document, the rollout and an edited file’s diff, without a button it may not use', async () => {
    trees[1].write('control/locals', 'localhost\nweb.example\npattern.example\nby-hand.example\n');
    await waitFor('drift on gr2', async () => (await ctl.host(ids[1])).drift.includes('control/locals'));
    const token = await ctl.api('POST', '/api/tokens', { name: 'group reader', role: 'viewer' });
    expect(token.status).toBe(201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    try {
      const viewer = await context.newPage();
      await signIn(viewer, ctl.url, token.body.token);
      await viewer.locator('[data-testid=signed-in-as][data-role=viewer]').waitFor();
      expect(await viewer.getByTestId('add-host-submit').count()).toBe(0);

      await viewer.getByTestId('nav-groups').click();
      await viewer.locator('[data-testid=group-row][data-group=web]').waitFor();
      expect(await viewer.getByTestId('group-create-form').count()).toBe(0);
      await viewer.goto(`${ctl.url}/groups/web`);
      await viewer.getByTestId('config-tab-advanced').click();
      await viewer.locator('[data-testid=group-editor][data-loaded=true]').waitFor();
      expect(await viewer.getByTestId('group-editor').getAttribute('readonly')).not.toBeNull();
      await viewer.locator(`[data-testid=group-member][data-host-name="${NAMES[1]}"]`).waitFor();
      for (const id of ['group-save', 'group-delete', 'group-member-add', 'group-member-pick', 'group-member-remove']) expect(await viewer.getByTestId(id).count()).toBe(0);
      await snap(viewer, 'viewer-group');

      await viewer.goto(`${ctl.url}/hosts/${NAMES[1]}`);
      // The JSON editor is the configuration forms' Advanced tab.
      await viewer.getByTestId('config-tab-advanced').click();
      await viewer.locator('[data-testid=config-editor][data-loaded=true]').waitFor();
      await viewer.locator('[data-testid=effective-document] [data-testid=effective-entry][data-path="locals[0]"][data-origin="group:web"]').waitFor();
      // The drift card shows the edit itself, read from the host through its agent.
      await expectText(viewer.locator('[data-testid=drift-path][data-path="control/locals"] [data-testid=drift-diff]'), /^\+by-hand\.example$/m);
      for (const id of ['config-save', 'config-reload', 'import-start', 'drift-adopt', 'drift-revert', 'apply-retry', 'service-actions']) expect(await viewer.getByTestId(id).count()).toBe(0);
      expect(await viewer.getByTestId('drift-policy').isDisabled()).toBe(true);
      expect(await viewer.getByTestId('config-editor').getAttribute('readonly')).not.toBeNull();
      await snap(viewer, 'viewer-host');

      await viewer.goto(`${ctl.url}/hosts/${NAMES[1]}/queue`);
      await viewer.getByTestId('host-queue-card').waitFor();
      expect(await viewer.getByTestId('queue-flush').count()).toBe(0);
      expect(await viewer.getByTestId('queue-delete').count()).toBe(0);

      await viewer.getByTestId('nav-rollouts').click();
      await viewer.locator(`[data-testid=rollout-row][data-rollout-id="${rolloutId}"]`).waitFor();
      expect(await viewer.getByTestId('new-rollout').count()).toBe(0);
      await viewer.goto(`${ctl.url}/rollouts/${rolloutId}`);
      await viewer.locator('[data-testid=rollout-title] [data-testid=rollout-status][data-status=completed]').waitFor();
      expect(await viewer.getByTestId('rollout-steer').count()).toBe(0);
      expect(await viewer.getByTestId('rollout-revert').count()).toBe(0);
      await viewer.goto(`${ctl.url}/rollouts/new`);
      await viewer.getByTestId('rollout-read-only').waitFor();
      expect(await viewer.getByTestId('rollout-preview').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});


