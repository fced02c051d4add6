import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { startAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { expectText, launchBrowser } from '../support/browser';
import { agentInstallCommands } from '@qfleet/protocol';
import type { Proc } from '../support/processes';

/** The dashboard in a real browser, against a real controller and a real agent. */
describe('the dashboard', () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  const qmail = new QmailTree();
  let agent: Proc | undefined;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await ctl?.stop();
    qmail.remove();
  });

  it('signs in, adds a host, and shows the enrol command', async () => {
    await page.goto(ctl.url + '/');
    await page.getByTestId('signin-token').fill('not-a-real-token-at-all');
    await page.getByTestId('signin-submit').click();
    await expectText(page.getByTestId('signin-message'), /unknown API token/);

    await page.getByTestId('signin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('add-host-name').fill('web1.example.net');
    await page.getByTestId('add-host-groups').fill('eu, web');
    await page.getByTestId('add-host-submit').click();
    const token = (await page.getByTestId('enrol-token').textContent())!.trim();
    expect(token).toMatch(/^qfe_/);
    expect(await page.getByTestId('enrol-command').textContent()).toBe(agentInstallCommands(ctl.url, token).join(' && '));
    await page.locator('[data-testid=host-row][data-host-name="web1.example.net"]').waitFor();

    agent = startAgent({ controllerUrl: ctl.url, token, qmailHome: qmail.home }).proc;
    await page.locator('[data-testid=host-row][data-host-name="web1.example.net"] [data-testid=host-connected][data-connected=true]').waitFor();
  });

  it('saves a configuration that lands on the host, and names the field of a refused one', async () => {
    await page.click('text=web1.example.net');
    // The JSON editor is the configuration forms' Advanced tab.
    await page.getByTestId('config-tab-advanced').click();
    const editor = page.locator('[data-testid=config-editor][data-loaded=true]');
    await editor.waitFor();

    await editor.fill(JSON.stringify({ locals: ['example.com', 'bad domain'] }, null, 2));
    await page.getByTestId('config-save').click();
    await expectText(page.getByTestId('error-field').first(), /locals\[1\]/);

    await editor.fill(JSON.stringify({ locals: ['example.com'], rcpthosts: ['example.com'], databytes: 1048576 }, null, 2));
    await page.getByTestId('config-save').click();
    await expectText(page.getByTestId('config-saved'), /revision 1/);
    const applied = page.locator('[data-testid=host-status] [data-testid=host-applied][data-revision-state=in-sync]');
    await expectText(applied, /^\s*1\s*$/);
    expect(qmail.read('control/locals')).toBe('example.com\n');
    expect(qmail.read('control/databytes')).toBe('1048576\n');
    await page.getByTestId('plan-empty').waitFor();
    await page.locator('[data-testid=audit-entry][data-action="config.put"]').first().waitFor();
  });
});
