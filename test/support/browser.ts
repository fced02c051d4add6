import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (no browser download here: DESIGN.md "Toolchain here"). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['QFLEET_CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** Signs in to the dashboard at `url` with an API token; resolves once the layout shows who is signed in (the token's role is known). */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url + '/');
  await page.getByTestId('signin-token').fill(token);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('signed-in-as').waitFor();
}

/** Waits until the element's text, trimmed, matches: the dashboard fills text in after data arrives. */
export async function expectText(locator: Locator, re: RegExp, timeoutMs = 15_000): Promise<void> {
  await locator.waitFor();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = ((await locator.textContent()) ?? '').trim();
    if (re.test(text)) return;
    if (Date.now() > deadline) throw new Error(`expected ${re} in "${text}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Set QFLEET_SCREENSHOTS to a directory to keep a picture of each page a spec visits (`<spec>-<name>.png`). */
export async function snap(page: Page, spec: string, name: string): Promise<void> {
  const dir = process.env['QFLEET_SCREENSHOTS'];
  if (dir) await page.screenshot({ path: path.join(dir, `${spec}-${name}.png`), fullPage: true });
}
