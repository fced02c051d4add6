import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (no browser download here: DESIGN.md "Toolchain here"). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['QFLEET_CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}
