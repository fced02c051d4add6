import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { launchBrowser, signIn, expectText } from '../support/browser';
import { QmailTree } from '../support/qmail-tree';
import { waitFor, type Proc } from '../support/processes';

/** Set QFLEET_SCREENSHOTS to a directory to keep a picture of each step. */
async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env['QFLEET_SCREENSHOTS'];
  if (dir) await page.screenshot({ path: path.join(dir, `dashboard-forms-${name}.png`), fullPage: true });
}

/**
 * The configuration forms (issue 13) in a real browser, against a real controller and a real
 * agent writing a qmail tree on disk: sections edited, the plan shown before the save, the
 * files landing, refused values beside their fields, a field switched to not managed, and a
 * viewer's read-only forms.
 */
describe('the configuration forms', () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  let agent: Proc;
  let hostId: string;
  const qmail = new QmailTree();

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    const host = await ctl.createHost('forms1.example.net');
    hostId = host.id;
    agent = await connectAgent(ctl, host, { qmailHome: qmail.home });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, ctl.url, ADMIN_TOKEN);
    await page.goto(`${ctl.url}/hosts/${hostId}`);
    await page.locator('[data-testid=config-forms][data-loaded=true][data-editable=true]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await ctl?.stop();
    qmail.remove();
  });

  it('adds a local domain and an alias through the forms, shows the plan, and the files land', async () => {
    const locals = page.getByTestId('field-locals');
    expect(await locals.getAttribute('data-state')).toBe('unmanaged');
    // qmail's default is said beside the field, managed or not.
    await expectText(page.getByTestId('default-locals'), /qmail-send does not start/);
    await page.getByTestId('managed-locals').selectOption('managed');
    await page.getByTestId('add-locals').click();
    await page.getByTestId('input-locals[0]').fill('example.com');

    await page.getByTestId('config-tab-aliases').click();
    await page.getByTestId('managed-aliases').selectOption('managed');
    await page.getByTestId('add-aliases').click();
    await page.getByTestId('input-aliases[0].name').fill('Sales.Team');
    await page.getByTestId('input-aliases[0].destinations[0].value').fill('ops@example.net');
    await page.getByTestId('add-aliases[0].destinations').click();
    await page.getByTestId('input-aliases[0].destinations[1].kind').selectOption('maildir');
    expect(await page.getByTestId('input-aliases[0].destinations[1].value').inputValue()).toBe('./Maildir/');
    await expectText(page.getByTestId('alias-file'), /^alias\/\.qmail-sales:team$/);
    await snap(page, '1-filled');

    await page.getByTestId('forms-review').click();
    const review = page.getByTestId('forms-review-panel');
    await review.waitFor();
    await review.locator('[data-testid=review-change][data-path="control/locals"][data-action=create]').waitFor();
    await review.locator('[data-testid=review-change][data-path="alias/.qmail-sales:team"][data-action=create]').waitFor();
    expect(await review.locator('[data-testid=review-change][data-path="control/locals"] [data-testid=review-diff]').textContent()).toContain('+example.com');
    await expectText(review.getByTestId('review-post-steps'), /hup/);
    expect(await review.locator('[data-testid=review-field]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-key')}:${e.getAttribute('data-to')}`).sort())).toEqual([
      'aliases:managed',
      'locals:managed',
    ]);
    // Nothing is stored before the confirmation.
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.revision).toBe(0);
    await snap(page, '2-plan');

    await page.getByTestId('forms-confirm').click();
    await page.locator('[data-testid=forms-saved][data-revision="1"]').waitFor();
    await waitFor('revision 1 applied', async () => (await ctl.host(hostId)).appliedRevision === 1, 60_000);
    expect(qmail.read('control/locals')).toBe('example.com\n');
    expect(qmail.read('alias/.qmail-sales:team')).toBe('&ops@example.net\n./Maildir/\n');
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document).toEqual({
      locals: ['example.com'],
      aliases: [{ name: 'Sales.Team', destinations: [{ kind: 'forward', value: 'ops@example.net' }, { kind: 'maildir', value: './Maildir/' }] }],
    });
    await snap(page, '3-saved');
  });

  it('shows each refused value beside the field it names, in every section at once', async () => {
    await page.getByTestId('config-tab-locals').click();
    await page.getByTestId('add-locals').click();
    await page.getByTestId('input-locals[1]').fill('bad domain');
    await page.getByTestId('config-tab-options').click();
    await page.getByTestId('managed-me').selectOption('managed');
    await page.getByTestId('input-me').fill('not a host!');
    await page.getByTestId('config-tab-locals').click();

    await page.getByTestId('forms-review').click();
    await page.locator('[data-testid=forms-problems][data-count="2"]').waitFor();
    // Beside its own entry: the error is inside the row whose input holds the refused value.
    const row = page.locator('[data-testid=field-locals] [data-testid=list-entry][data-index="1"]');
    await row.locator('[data-testid=field-error][data-path="locals[1]"]').waitFor();
    expect(await row.locator('input').inputValue()).toBe('bad domain');
    expect(await page.locator('[data-testid=list-entry][data-index="0"] [data-testid=field-error]').count()).toBe(0);
    expect(await page.getByTestId('forms-review-panel').count()).toBe(0);
    expect(await page.locator('[data-testid=config-tab-options] [data-testid=tab-problems]').textContent()).toBe('1');
    await snap(page, '4-error-locals');

    await page.getByTestId('config-tab-options').click();
    await expectText(page.locator('[data-testid=field-me] [data-testid=field-error][data-path=me]'), /.+/);
    await snap(page, '5-error-me');
    expect((await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.revision).toBe(1);

    await page.getByTestId('forms-discard').click();
    expect(await page.getByTestId('field-me').getAttribute('data-state')).toBe('unmanaged');
  });

  it('edits an autoreply and a filter alias; their files land with the programs’ settings', async () => {
    await page.getByTestId('config-tab-aliases').click();
    await page.getByTestId('add-aliases').click();
    const at = 'aliases[1]';
    await page.getByTestId(`input-${at}.name`).fill('info');
    await page.getByTestId(`input-${at}.destinations[0].kind`).selectOption('filter');
    await page.getByTestId(`input-${at}.destinations[0].filter.rules[0].contains`).fill('unsubscribe');
    await page.getByTestId(`add-${at}.destinations`).click();
    await page.getByTestId(`input-${at}.destinations[1].kind`).selectOption('autoreply');
    await page.getByTestId(`input-${at}.destinations[1].autoreply.subject`).fill('Away');
    await page.getByTestId(`input-${at}.destinations[1].autoreply.body`).fill('Back on Monday.\n');
    await snap(page, '6-autoreply-filter');

    await page.getByTestId('forms-review').click();
    await page.locator('[data-testid=review-change][data-path="alias/.qmail-info"][data-action=create]').waitFor();
    await page.getByTestId('forms-confirm').click();
    await page.locator('[data-testid=forms-saved][data-revision="2"]').waitFor();
    await waitFor('revision 2 applied', async () => (await ctl.host(hostId)).appliedRevision === 2, 60_000);
    expect(qmail.read('alias/.qmail-info')).toBe('|qfleet/bin/qfleet-filter qfleet/info.filter\n|qfleet/bin/qfleet-autoreply qfleet/info.autoreply\n');
    expect(JSON.parse(qmail.read('alias/qfleet/info.filter') ?? 'null')).toMatchObject({ rules: [{ field: 'subject', contains: 'unsubscribe', action: 'discard' }], otherwise: { action: 'deliver' } });
    expect(JSON.parse(qmail.read('alias/qfleet/info.autoreply') ?? 'null')).toMatchObject({ subject: 'Away', body: 'Back on Monday.\n', periodSec: 3600 });
  });

  it('switches a field to not managed: the plan says so, and its file stays on the host', async () => {
    await page.getByTestId('config-tab-locals').click();
    await page.getByTestId('managed-locals').selectOption('unmanaged');
    expect(await page.getByTestId('field-locals').getAttribute('data-state')).toBe('unmanaged');
    await page.getByTestId('forms-review').click();
    await page.locator('[data-testid=review-field][data-key=locals][data-to=unmanaged]').waitFor();
    await expectText(page.getByTestId('review-unmanaged'), /locals/);
    expect(await page.locator('[data-testid=review-change][data-path="control/locals"]').count()).toBe(0);
    await snap(page, '7-unmanaged-plan');
    await page.getByTestId('forms-confirm').click();
    await page.locator('[data-testid=forms-saved][data-revision="3"]').waitFor();
    await waitFor('revision 3 applied', async () => (await ctl.host(hostId)).appliedRevision === 3, 60_000);
    const doc = (await ctl.api('GET', `/api/hosts/${hostId}/config`)).body.document;
    expect('locals' in doc).toBe(false);
    expect(qmail.read('control/locals')).toBe('example.com\n');
    await snap(page, '8-unmanaged-saved');
  });

  it('edits a list as text, one entry a line, with a refused line named under it', async () => {
    await page.getByTestId('config-tab-accepted').click();
    await page.getByTestId('managed-rcpthosts').selectOption('managed');
    await page.getByTestId('mode-rcpthosts').click();
    await page.getByTestId('text-rcpthosts').fill('example.com\n\n.example.com\nnot valid');
    await page.getByTestId('forms-review').click();
    const entry = page.locator('[data-testid=list-rcpthosts][data-mode=text] [data-testid=list-entry][data-index="2"]');
    await entry.locator('[data-testid=field-error][data-path="rcpthosts[2]"]').waitFor();
    expect(await entry.locator('code').textContent()).toBe('not valid');
    await snap(page, '9-text-error');

    await page.getByTestId('text-rcpthosts').fill('example.com\n.example.com');
    await page.getByTestId('forms-review').click();
    await page.locator('[data-testid=review-change][data-path="control/rcpthosts"][data-action=create]').waitFor();
    await page.getByTestId('forms-confirm').click();
    await page.locator('[data-testid=forms-saved][data-revision="4"]').waitFor();
    await waitFor('revision 4 applied', async () => (await ctl.host(hostId)).appliedRevision === 4, 60_000);
    expect(qmail.read('control/rcpthosts')).toBe('example.com\n.example.com\n');
  });

  it('gives a viewer the forms read-only, with no save buttons', async () => {
    const created = await ctl.api('POST', '/api/tokens', { name: 'forms viewer', role: 'viewer' });
    expect(created.status).toBe(201);
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await signIn(viewer, ctl.url, created.body.token);
      await viewer.goto(`${ctl.url}/hosts/${hostId}`);
      await viewer.locator('[data-testid=config-forms][data-loaded=true][data-editable=false]').waitFor();
      await viewer.getByTestId('config-tab-aliases').click();
      expect(await viewer.getByTestId('input-aliases[0].name').inputValue()).toBe('Sales.Team');
      expect(await viewer.getByTestId('input-aliases[0].name').getAttribute('readonly')).not.toBeNull();
      expect(await viewer.getByTestId('managed-aliases').isDisabled()).toBe(true);
      for (const id of ['forms-review', 'forms-discard', 'add-aliases', 'alias-remove', 'config-save', 'import-start']) expect(await viewer.getByTestId(id).count()).toBe(0);
      await viewer.getByTestId('config-tab-advanced').click();
      await viewer.locator('[data-testid=config-editor][data-loaded=true]').waitFor();
      expect(await viewer.getByTestId('config-editor').getAttribute('readonly')).not.toBeNull();
      await snap(viewer, '10-viewer');
    } finally {
      await viewer.close();
    }
  });
});


