import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { launchBrowser, expectText } from '../support/browser';
import { REPO, waitFor, type Proc } from '../support/processes';

/** Set QFLEET_SCREENSHOTS to a directory to keep a picture of each page the spec visits. */
async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env['QFLEET_SCREENSHOTS'];
  if (dir) await page.screenshot({ path: path.join(dir, `dashboard-drift-${name}.png`), fullPage: true });
}

/** The host's locals as written by hand: an import keeps these bytes (issue 12). */
const IMPORTED_LOCALS = '# local domains\nlocalhost\nImport.Example\n';

/** Import, drift (adopt, revert, policy) and retry from the host page, in a real browser. */
describe('the dashboard host page: import, drift and retry', () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  let agent: Proc | undefined;
  let hostId: string;
  const qmail = new QmailTree();

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });

    qmail.write('control/locals', IMPORTED_LOCALS);
    qmail.write('control/servercert.pem', '-----BEGIN CERTIFICATE-----\n');
    const host = await ctl.createHost('drift-ui.example.net');
    hostId = host.id;
    agent = await connectAgent(ctl, host, { qmailHome: qmail.home });

    await page.goto(ctl.url + '/');
    await page.getByTestId('signin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('signin-submit').click();
    await page.click('text=drift-ui.example.net');
    // The JSON editor is the configuration forms' Advanced tab.
    await page.getByTestId('config-tab-advanced').click();
    await page
      .locator('[data-testid=config-editor][data-loaded=true]')
      .waitFor();
  });
  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await ctl?.stop();
    qmail.remove();
  });

  it('previews an import, names the files it leaves alone, then makes it the document', async () => {
    await page.getByTestId('import-start').click();
    const preview = JSON.parse(
      (await page.getByTestId('import-preview').textContent()) ?? 'null',
    );
    expect(preview.locals).toEqual(['localhost', 'import.example']);
    await page
      .locator(
        '[data-testid=import-unmodelled-item][data-path="control/servercert.pem"]',
      )
      .waitFor();
    // Same meaning, other bytes: kept, with what a later change of locals would rewrite (issue 12).
    await expectText(
      page.locator('[data-testid=import-file][data-path="control/locals"][data-action=keep]'),
      /comments would be dropped, case would change/,
    );
    expect((await ctl.host(hostId)).desiredRevision).toBe(0); // a dry run saves nothing

    await page.getByTestId('import-confirm').click();
    await expectText(page.getByTestId('import-result'), /revision 1/);
    await waitFor(
      'the editor to show the imported document',
      async () =>
        (await editorDocument(page)).locals?.join() ===
        'localhost,import.example',
    );
    await waitFor(
      'revision 1 applied',
      async () => (await ctl.host(hostId)).appliedRevision === 1,
    );
    expect(qmail.read('control/locals')).toBe(IMPORTED_LOCALS);
    expect(qmail.read('control/servercert.pem')).toBe(
      '-----BEGIN CERTIFICATE-----\n',
    );
  });

  it('shows an edited file as drift and reverts the host on request', async () => {
    qmail.write(
      'control/locals',
      'localhost\nimport.example\nhacked.example\n',
    );
    await driftOn(page, 'control/locals').waitFor();
    // The edit itself, read from the host through the agent: from the desired bytes to the host's.
    const diff = driftOn(page, 'control/locals').getByTestId('drift-diff');
    await expectText(diff, /^\+hacked\.example$/m);
    expect(await diff.textContent()).toMatch(/^--- qfleet\/control\/locals/m);
    await snap(page, 'drift-diff');

    await page.getByTestId('drift-revert').click();
    await expectText(page.getByTestId('drift-message'), /revision 1/);
    await waitFor(
      'the file restored',
      () => qmail.read('control/locals') === IMPORTED_LOCALS,
    );
    await page.getByTestId('drift-list').waitFor({ state: 'detached' });
  });

  it('adopts an edited file into the document', async () => {
    qmail.write(
      'control/locals',
      'localhost\nimport.example\nadopted.example\n',
    );
    await driftOn(page, 'control/locals').waitFor();

    await page.getByTestId('drift-adopt').click();
    await expectText(
      page.getByTestId('drift-message'),
      /Adopted control\/locals .*revision 2/,
    );
    await waitFor('the editor to show the adopted locals', async () =>
      (await editorDocument(page)).locals?.includes('adopted.example'),
    );
    const cfg = await ctl.api('GET', `/api/hosts/${hostId}/config`);
    expect(cfg.body.document.locals).toEqual([
      'localhost',
      'import.example',
      'adopted.example',
    ]);
    await page.getByTestId('drift-list').waitFor({ state: 'detached' });
    expect(qmail.read('control/locals')).toBe(
      'localhost\nimport.example\nadopted.example\n',
    );
  });

  it('switches the drift policy to enforce, which overwrites edits at once', async () => {
    await page.getByTestId('drift-policy').selectOption('enforce');
    await expectText(page.getByTestId('drift-message'), /enforce/);
    expect((await ctl.host(hostId)).driftPolicy).toBe('enforce');
    await page
      .locator('[data-testid=drift-policy][data-value=enforce]')
      .waitFor();

    await waitFor(
      'revision 2 applied',
      async () => (await ctl.host(hostId)).appliedRevision === 2,
    );
    qmail.write('control/locals', 'localhost\n');
    await waitFor(
      'the enforce policy to restore the file',
      () =>
        qmail.read('control/locals') ===
        'localhost\nimport.example\nadopted.example\n',
    );
  });

  it('offers Retry for a failed revision and sends it again', async () => {
    qmail.breakQmailNewu();
    const cfg = await ctl.api('GET', `/api/hosts/${hostId}/config`);
    const assignments = [
      {
        kind: 'prefix',
        address: 'virt.example-',
        user: 'virt',
        uid: 89,
        gid: 89,
        home: '/home/virt',
        dash: '-',
        ext: '',
      },
    ];
    const put = await ctl.api('PUT', `/api/hosts/${hostId}/config`, {
      ...cfg.body.document,
      assignments,
    });
    expect(put.status).toBe(200);
    const failed = page.locator(
      '[data-testid=host-status] [data-testid=host-applied][data-revision-state=failed]',
    );
    await failed.waitFor();

    qmail.installStandIn(
      'qmail-newu',
      fs.readFileSync(
        path.join(REPO, 'tools', 'stand-ins', 'qmail-newu'),
        'utf8',
      ),
    );
    await page.getByTestId('apply-retry').click();
    await page
      .locator(
        '[data-testid=host-status] [data-testid=host-applied][data-revision-state=in-sync]',
      )
      .waitFor();
    expect((await ctl.host(hostId)).appliedRevision).toBe(put.body.revision);
    expect(qmail.exists('users/cdb')).toBe(true);
    await page.getByTestId('apply-retry').waitFor({ state: 'detached' });
  });
});

function driftOn(page: Page, file: string): Locator {
  return page.locator(
    `[data-testid=drift-list] [data-testid=drift-path][data-path="${file}"]`,
  );
}

async function editorDocument(page: Page): Promise<{ locals?: string[] }> {
  return JSON.parse(await page.getByTestId('config-editor').inputValue());
}

