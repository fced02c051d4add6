import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { TestController } from '../support/controller';
import { expectText, signIn, snap as snapAs } from '../support/browser';
import { DashboardRig } from '../support/dashboard-rig';
import { QmailTree } from '../support/qmail-tree';
import { QueueFixture } from '../support/queue-fixture';
import type { SupervisedQmailSend } from '../support/supervise';
import { waitFor } from '../support/processes';

const snap = (page: Page, name: string) => snapAs(page, 'dashboard-operations', name);

// A zone with a half-hour offset and no daylight saving: a date shown in UTC or in 12 h fails.
const ZONE = 'Asia/Kolkata';
const inKolkata = (iso: string) => new Date(Date.parse(iso) + 5.5 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

/**
 * The operator's dashboard in a real browser against a real controller, a real agent and
 * Debian's daemontools: dates, the queue chart fed by a real qmail queue directory, qmail-send
 * stopped and started from the host page, tokens, the fleet-wide audit, and a viewer's read-only view.
 */
describe('the dashboard for operators', () => {
  let ctl: TestController;
  let page: Page;
  let qmailSend: SupervisedQmailSend;
  let hostId: string;
  const qmail = new QmailTree();
  const hostName = 'ops1.example.net';
  const rig = new DashboardRig(qmail, hostName);
  // An empty queue as qmail's install makes it: the agent reports (and the chart shows) zero.
  const queue = new QueueFixture(path.join(qmail.home, 'queue'));

  beforeAll(async () => {
    ({ ctl, page, qmailSend, hostId } = await rig.start({ page: { timezoneId: ZONE } }));
  });
  afterAll(() => rig.stop());

  it('shows dates in ISO 8601, 24 h, in the viewer’s zone, and names the zone', async () => {
    await expectText(page.getByTestId('time-zone'), /^Asia\/(Kolkata|Calcutta) \(UTC\+05:30\)$/ /* Chromium may name it by its old name */);
    await page.goto(`${ctl.url}/hosts/${hostId}`);
    const entry = page.locator('[data-testid=audit-entry][data-action="host.create"]');
    await entry.waitFor();
    const audit = await ctl.api('GET', `/api/audit?target=host:${hostId}&action=host.create`);
    expect(await entry.locator('td').first().textContent()).toBe(inKolkata(audit.body[0].at));
  });

  it('charts a host’s queue growing as messages are written into its queue directory', async () => {
    await page.getByTestId('host-tab-queue').click();
    const chart = page.getByTestId('host-queue-chart');
    await waitForLast(chart, 'an empty queue charted', (l) => l['messages'] === 0);
    await snap(page, 'chart-empty');

    for (let i = 0; i < 3; i++) queue.add({ sender: 'alice@example.com', recipients: [{ kind: 'remote', address: `u${i}@gmail.com` }], body: 'Subject: hi\n\nhello\n' });
    queue.add({ sender: 'alice@example.com', recipients: [{ kind: 'local', address: 'joe@example.com' }], body: 'Subject: lunch\n\nnoon?\n', queuedAt: new Date(Date.now() - 2 * 3600_000) });

    const last = await waitForLast(chart, 'four messages charted', (l) => l['messages'] === 4);
    expect(last).toMatchObject({ messages: 4, local: 1, remote: 3 });
    expect(last['oldest']).toBeGreaterThanOrEqual(2 * 3600);
    await snap(page, 'chart-grown');

    await page.getByTestId('host-chart-range-24h').click();
    await waitForLast(chart, 'the day view', (l) => l['messages'] === 4);

    await page.goto(`${ctl.url}/`);
    const fleet = page.getByTestId('fleet-queue-chart');
    await waitForLast(fleet, 'the fleet total', (l) => l['messages'] === 4);
    const top = await waitForLast(page.getByTestId('fleet-top-hosts-chart'), 'the busiest host', (l) => l[hostName] === 4);
    expect(Object.keys(top)).toEqual([hostName]);
    await snap(page, 'fleet-chart');
  });

  it('stops and starts qmail-send from the host page, with the state daemontools reports', async () => {
    await page.goto(`${ctl.url}/hosts/${hostId}`);
    await page.locator('[data-testid=service-state][data-running=running]').waitFor();

    await page.getByTestId('service-stop').click();
    await snap(page, 'stop-confirm');
    expect(qmailSend.events().at(-1)).toBe('start'); // nothing happens before the confirmation
    await page.getByTestId('service-confirm').click();
    await page.locator('[data-testid=service-result][data-action=stop] [data-testid=service-result-state][data-running=stopped]').waitFor({ timeout: 150_000 });
    expect(qmailSend.svstat()).toMatch(/: down \d+ seconds, normally up$/);
    expect(qmailSend.events().at(-1)).toBe('term');
    await page.locator('[data-testid=service-state][data-running=stopped]').waitFor();
    await snap(page, 'stopped');

    await page.getByTestId('service-start').click();
    await page.getByTestId('service-confirm').click();
    await page.locator('[data-testid=service-result][data-action=start] [data-testid=service-result-state][data-running=running]').waitFor();
    expect(qmailSend.svstat()).toMatch(/: up \(pid \d+\)/);
    expect(qmailSend.events().at(-1)).toBe('start');
    await snap(page, 'started');

    // Both actions are marked on the host's queue chart.
    await page.getByTestId('host-tab-queue').click();
    await waitFor('both actions marked', async () => (await page.locator('[data-testid=chart-marker][data-kind=action]').count()) === 2);
    expect(await page.getByTestId('chart-markers').textContent()).toMatch(/action\.start.*action\.stop/);
    await snap(page, 'chart-marked');
  });

  it('restarts qmail-send on the hosts matching a name pattern, each host’s state shown', async () => {
    await page.goto(`${ctl.url}/`);
    const before = qmailSend.events().length;
    await page.getByTestId('fleet-action-pattern').fill('ops?.example.*');
    await page.getByTestId('fleet-action-action').selectOption('restart');
    await page.getByTestId('fleet-action-run').click();
    expect(qmailSend.events().length).toBe(before); // nothing before the confirmation
    await page.getByTestId('fleet-action-confirm').click();
    await page.locator(`[data-testid=fleet-action-result][data-ok="1"][data-failed="0"] [data-testid=fleet-action-host][data-host-name="${hostName}"][data-ok=true] [data-running=running]`).waitFor({ timeout: 150_000 });
    expect(qmailSend.events().slice(before)).toEqual(['term', 'start']);
    await snap(page, 'fleet-action');
  });

  let viewerSecret = '';
  it('creates a token whose secret is shown once, and lists it', async () => {
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('token-name').fill('night shift');
    await page.getByTestId('token-role').selectOption('viewer');
    await page.getByTestId('token-create').click();
    const secret = page.getByTestId('token-secret');
    await secret.waitFor();
    viewerSecret = ((await secret.textContent()) ?? '').trim();
    expect(viewerSecret).toMatch(/^qft/);
    await page.locator('[data-testid=token-row][data-token-name="night shift"][data-role=viewer]').waitFor();
    await snap(page, 'token-created');
    await page.getByTestId('token-secret-dismiss').click();
    expect(await page.getByTestId('token-secret').count()).toBe(0);
    expect((await ctl.api('GET', '/api/hosts', undefined, viewerSecret)).status).toBe(200);
  });

  it('gives a viewer the same pages without the buttons it may not use', async () => {
    const viewer = await rig.newPage({ timezoneId: ZONE });
    try {
      await signIn(viewer, ctl.url, viewerSecret);
      await viewer.locator('[data-testid=signed-in-as][data-role=viewer]').waitFor();
      expect(await viewer.getByTestId('nav-tokens').count()).toBe(0);
      await viewer.getByTestId('fleet-queue-chart').waitFor({ state: 'attached' });
      expect(await viewer.getByTestId('fleet-actions').count()).toBe(0);
      await viewer.goto(`${ctl.url}/hosts/${hostId}`);
      await viewer.locator('[data-testid=signed-in-as][data-role=viewer]').waitFor();
      await viewer.locator('[data-testid=service-state][data-running=running]').waitFor();
      expect(await viewer.getByTestId('service-actions').count()).toBe(0);
      expect(await viewer.getByTestId('service-stop').count()).toBe(0);
      await viewer.getByTestId('host-tab-queue').click();
      await waitForLast(viewer.getByTestId('host-queue-chart'), 'the chart for a viewer', (l) => l['messages'] === 4);
      await viewer.goto(`${ctl.url}/audit`);
      await viewer.locator('[data-testid=audit-entry][data-action="action.stop"]').waitFor();
      await snap(viewer, 'viewer-audit');
    } finally {
      await viewer.close();
    }
  });

  it('deletes the token after a confirmation; it is refused at once', async () => {
    await page.goto(`${ctl.url}/tokens`);
    await page.locator('[data-testid=token-row][data-token-name="night shift"] [data-testid=token-delete]').click();
    await page.getByTestId('token-delete-confirm').click();
    await waitFor('the row gone', async () => (await page.locator('[data-testid=token-row][data-token-name="night shift"]').count()) === 0);
    expect((await ctl.api('GET', '/api/hosts', undefined, viewerSecret)).status).toBe(401);
  });

  it('filters the fleet-wide audit by action, host, actor and time, each entry with its diff', async () => {
    await page.getByTestId('nav-audit').click();
    const rows = page.locator('[data-testid=audit-list] [data-testid=audit-entry]');
    // The list is waited on by its actions, not its length: the previous filter's list may have
    // as many rows, and stays on screen until the new answer replaces it.
    const actions = () => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')).join());
    await page.locator('[data-testid=audit-entry][data-action="token.delete"]').waitFor();

    await page.getByTestId('audit-filter-action').fill('action');
    await page.getByTestId('audit-filter-host').selectOption({ label: hostName });
    await page.getByTestId('audit-filter-apply').click();
    await waitFor('the two actions only', async () => (await actions()) === 'action.start,action.stop');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['action.start', 'action.stop']);
    expect(await rows.first().textContent()).toContain(hostName); // the target by name
    expect(await rows.nth(1).textContent()).toMatch(/"running":false/); // the stop's diff: the state after it
    await snap(page, 'audit-actions');

    await page.getByTestId('audit-filter-action').fill('token');
    await page.getByTestId('audit-filter-host').selectOption('');
    await page.getByTestId('audit-filter-apply').click();
    await waitFor('the token entries', async () => (await actions()) === 'token.delete,token.create');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['token.delete', 'token.create']);
    expect(await rows.first().textContent()).toContain('night shift');

    await page.getByTestId('audit-filter-actor').fill('no such actor');
    await page.getByTestId('audit-filter-apply').click();
    await page.getByText('No audit entries yet.').waitFor();

    await page.getByTestId('audit-filter-actor').fill('');
    await page.getByTestId('audit-filter-action').fill('');
    await page.getByTestId('audit-filter-since').fill('11/27/2026 2:00 PM');
    await page.getByTestId('audit-filter-apply').click();
    await expectText(page.getByTestId('audit-filter-since-error'), /expected YYYY-MM-DD HH:MM/);
    const later = inKolkata(new Date(Date.now() + 3600_000).toISOString()); // an hour ahead, Kolkata wall time
    await page.getByTestId('audit-filter-since').fill(later);
    await page.getByTestId('audit-filter-apply').click();
    await page.getByText('No audit entries yet.').waitFor();
    await page.getByTestId('audit-filter-since').fill('');
    await page.getByTestId('audit-filter-until').fill(later);
    await page.getByTestId('audit-filter-apply').click();
    await page.locator('[data-testid=audit-entry][data-action="host.create"]').waitFor();
  });
});

/** The last figures the chart was given (its data-last), once `ok` holds. */
async function waitForLast(chart: Locator, what: string, ok: (last: Record<string, number | null>) => boolean): Promise<Record<string, number | null>> {
  await chart.waitFor({ state: 'attached' });
  return waitFor(what, async () => {
    const last = JSON.parse((await chart.getAttribute('data-last')) ?? '{}') as Record<string, number | null>;
    return ok(last) ? last : undefined;
  }, 60_000);
}
