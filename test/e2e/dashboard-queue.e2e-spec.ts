import fs from 'node:fs';
import type { Page } from 'playwright-core';
import type { TestController } from '../support/controller';
import { expectText, snap as snapAs } from '../support/browser';
import { DashboardRig } from '../support/dashboard-rig';
import { QmailTree } from '../support/qmail-tree';
import type { SupervisedQmailSend } from '../support/supervise';
import { waitFor } from '../support/processes';
import { ATTACHMENT } from '../support/messages';
import { addIncidentQueue, makeMailHomes, type ScenarioMessage } from '../support/mail-scenario';

const snap = (page: Page, name: string) => snapAs(page, 'dashboard-queue', name);

/** The queue and mailbox pages of the dashboard in a real browser, against a real controller, agent and daemontools. */
describe('the dashboard queue and mailboxes', () => {
  let ctl: TestController;
  let page: Page;
  let qmailSend: SupervisedQmailSend;
  const qmail = new QmailTree();
  const homes = makeMailHomes();
  let ids: Record<ScenarioMessage, number>;
  const hostName = 'mx1.example.net';
  const rig = new DashboardRig(qmail, hostName);

  const queueFiles = (id: number) => Object.keys(qmail.snapshot()).filter((p) => p.startsWith('queue/') && p.endsWith(`/${id}`));

  beforeAll(async () => {
    ids = addIncidentQueue(qmail.home, new Date(Date.now() - 3 * 3600_000));
    ({ ctl, page, qmailSend } = await rig.start({ agentArgs: ['--passwd', homes.passwd], page: { acceptDownloads: true } }));
  });
  afterAll(async () => {
    await rig.stop();
    homes.remove();
  });

  it('shows the queue of each host and the waiting destinations on the fleet page', async () => {
    const cell = page.locator(`[data-testid=host-row][data-host-name="${hostName}"] [data-testid=fleet-queue-cell]`);
    await expectText(cell, /^4\b.*oldest 3h/);
    await page.locator('[data-testid=domains-card] [data-testid=domain-row][data-domain="yahoo.com"]').waitFor();
    await expectText(page.locator('[data-testid=domain-row][data-domain="gmail.com"]'), /gmail\.com\s*1\s*1/);
    await snap(page, 'fleet');
  });

  it('finds a spammer across the fleet and counts its messages per host', async () => {
    await page.getByTestId('incident-sender').fill('spammer@hacked');
    await page.getByTestId('incident-find').click();
    await page.locator(`[data-testid=incident-result] [data-testid=incident-host][data-host-name="${hostName}"][data-count="2"]`).waitFor();
    await page.getByTestId('incident-delete').waitFor();
    await snap(page, 'incident');
    // The purge itself is left to the host page below; the incident path is covered in queue-mailboxes.e2e-spec.ts.
  });

  it('lists the host queue with every recipient, and reads a message with its attachment', async () => {
    await page.click(`text=${hostName}`);
    await page.getByTestId('host-tab-queue').click();
    const rows = page.locator('[data-testid=queue-table] [data-testid=queue-row]');
    await waitFor('four queued messages', async () => (await rows.count()) === 4);
    const spam2 = page.locator(`[data-testid=queue-row][data-id="${ids['spam2']}"]`);
    await spam2.getByTestId('queue-bouncing').waitFor();
    expect(await spam2.locator('s').textContent()).toBe('joe@example.com');

    await page.locator(`[data-testid=queue-row][data-id="${ids['report']}"] [data-testid=queue-open]`).click();
    const view = page.getByTestId('queue-message');
    await expectText(view.getByTestId('message-text'), /the report is attached/);
    const [download] = await Promise.all([page.waitForEvent('download'), view.getByTestId('attachment-download').click()]);
    expect(download.suggestedFilename()).toBe('report.bin');
    expect(fs.readFileSync((await download.path())!)).toEqual(ATTACHMENT);
    await snap(page, 'queue');
  });

  it('deletes the selected messages with qmail-send stopped and started again', async () => {
    expect(queueFiles(ids['spam2']).length).toBeGreaterThanOrEqual(4);
    const eventsBefore = qmailSend.events().length;
    await page.locator(`[data-testid=queue-row][data-id="${ids['spam1']}"] [data-testid=queue-select]`).check();
    await page.locator(`[data-testid=queue-row][data-id="${ids['spam2']}"] [data-testid=queue-select]`).check();
    await page.getByTestId('queue-delete').click();
    await snap(page, 'queue-confirm');
    await page.getByTestId('queue-delete-confirm').click();
    await expectText(page.getByTestId('queue-result'), /Deleted 2 messages/);

    const rows = page.locator('[data-testid=queue-table] [data-testid=queue-row]');
    await waitFor('two messages left', async () => (await rows.count()) === 2);
    const left = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect(left.sort()).toEqual([ids['report'], ids['lunch']].sort());
    expect(queueFiles(ids['spam1'])).toEqual([]);
    expect(queueFiles(ids['spam2'])).toEqual([]);
    expect(queueFiles(ids['report']).length).toBeGreaterThan(0);
    expect(qmailSend.events().slice(eventsBefore)).toEqual(['term', 'start']);
  });

  it('lists mailboxes with their formats, and searches a user’s messages with the simple box and the advanced one', async () => {
    await page.getByTestId('host-tab-mailboxes').click();
    const joe = page.locator('[data-testid=mailbox-users] [data-testid=mailbox-user-row][data-user="joe"]');
    await expectText(joe, /Maildir\s*2/);
    // ann's mbox beside joe's Maildir, each with its own format; root has no mailbox.
    await expectText(page.locator('[data-testid=mailbox-user-row][data-user="ann"]'), /mbox\s*1/);
    expect(await page.locator('[data-testid=mailbox-user-row][data-user="root"]').count()).toBe(0);
    await joe.click();
    const rows = page.locator('[data-testid=mailbox-messages] [data-testid=mailbox-message-row]');
    await waitFor('both of joe’s messages', async () => (await rows.count()) === 2);
    expect(await rows.first().textContent()).toContain('Weekly news'); // newest first

    // The simple search box: text in From, Subject or To.
    await page.getByTestId('mailbox-simple-search').fill('NEWS@list');
    await page.getByTestId('mailbox-simple-search-run').click();
    await waitFor('the simple search match', async () => (await rows.count()) === 1 && /Weekly news/.test((await rows.first().textContent()) ?? ''));
    await page.getByTestId('mailbox-simple-search-clear').click();
    await waitFor('both messages again', async () => (await rows.count()) === 2);

    await page.getByTestId('mailbox-advanced-toggle').click();
    await page.getByTestId('mailbox-search-field').selectOption('subject');
    await page.getByTestId('mailbox-search-op').selectOption('contains');
    await page.getByTestId('mailbox-search-value').fill('budget');
    await page.getByTestId('mailbox-search-run').click();
    await waitFor('one match', async () => (await rows.count()) === 1 && /Budget meeting/.test((await rows.first().textContent()) ?? ''));

    await rows.first().click();
    await expectText(page.getByTestId('mailbox-message').getByTestId('message-text'), /At ten\./);
    await snap(page, 'mailboxes');
  });
});
