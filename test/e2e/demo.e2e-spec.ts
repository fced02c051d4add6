import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { REPO, spawnNode, waitFor, type Proc } from '../support/processes';

const TOKEN = 'demo-test-admin-token-0123456789';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `npm run demo` (tools/demo.js, after the build) as a newcomer sees it in a browser: every
 * host has a real qmail queue and users with mail, so the Queue and Mailboxes tabs show them
 * (issue 12, point 9). The host is opened by its name in the URL. Screenshots go to
 * QFLEET_SCREENSHOTS, or to a temporary directory that the test removes.
 */
describe('the demo in a browser', () => {
  let demo: Proc;
  let browser: Browser;
  let page: Page;
  let url: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-demo-'));
  const shots = process.env['QFLEET_SCREENSHOTS'] ?? path.join(dir, 'screenshots');

  beforeAll(async () => {
    fs.mkdirSync(shots, { recursive: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    demo = spawnNode(path.join(REPO, 'tools', 'demo.js'), [], { PORT: String(port), QFLEET_DEMO_DIR: path.join(dir, 'demo'), QFLEET_ADMIN_TOKEN: TOKEN, QFLEET_API_DOCS: '0' }, 'demo');
    await demo.waitForLine(/qfleet demo is running/, 120_000);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url + '/');
    await page.getByTestId('signin-token').fill(TOKEN);
    await page.getByTestId('signin-submit').click();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the queue of a demo host, opened by its name', async () => {
    await page.goto(`${url}/hosts/mx1.demo.example/queue`);
    await page.getByTestId('host-title').filter({ hasText: 'mx1.demo.example' }).waitFor({ timeout: 60_000 });
    const rows = page.locator('[data-testid=queue-table] [data-testid=queue-row]');
    // Seven messages qmail-send has sorted, one still in todo/ (listed once the agent reads it).
    await waitFor('the demo queue', async () => (await rows.count()) >= 7, 60_000);
    await page.locator('[data-testid=queue-row] >> text=alice@slow.example.org').first().waitFor();
    const file = path.join(shots, 'demo-queue.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });

  it('shows the mailboxes of a demo host with their mail', async () => {
    await page.getByTestId('host-tab-mailboxes').click();
    const alice = page.locator('[data-testid=mailbox-users] [data-testid=mailbox-user-row][data-user=alice]');
    await alice.waitFor({ timeout: 60_000 });
    await alice.click();
    const messages = page.locator('[data-testid=mailbox-messages] [data-testid=mailbox-message-row]');
    await waitFor("alice's three messages", async () => (await messages.count()) === 3, 60_000);
    await page.locator('[data-testid=mailbox-message-row] >> text=Invoice 2026-114').waitFor();
    const file = path.join(shots, 'demo-mailboxes.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });
});
