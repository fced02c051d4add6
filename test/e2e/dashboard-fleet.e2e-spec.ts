import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { launchBrowser, expectText } from '../support/browser';
import { QmailTree } from '../support/qmail-tree';
import { QueueFixture } from '../support/queue-fixture';
import { waitFor, type Proc } from '../support/processes';

/** Set QFLEET_SCREENSHOTS to a directory to keep a picture of each step. */
async function snap(page: Page, name: string): Promise<void> {
  const dir = process.env['QFLEET_SCREENSHOTS'];
  if (dir) await page.screenshot({ path: path.join(dir, `dashboard-fleet-${name}.png`), fullPage: true });
}

const BULK = 60;
const EU1 = 'web1.eu.example.net';
const EU2 = 'web2.eu.example.net';
const US1 = 'mx1.us.example.net';
const US2 = 'mx2.us.example.net';
const ALL = BULK + 4;

/**
 * The fleet overview of issue 13 in a real browser, against a real controller and real agents:
 * totals, filters by group and state (one host offline, one failed, one drifted), the search,
 * sorting by a column, pages, links that keep the view, and rows that change live.
 */
describe('the dashboard fleet overview', () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  const trees: Record<string, QmailTree> = { [EU1]: new QmailTree(), [EU2]: new QmailTree(), [US1]: new QmailTree() };
  const agents: Record<string, Proc> = {};
  const ids: Record<string, string> = {};

  const rows = () => page.locator('[data-testid=hosts-table] [data-testid=host-row]');
  const names = async () => rows().evaluateAll((els) => els.map((e) => e.getAttribute('data-host-name')));
  /** Waits until the table shows exactly `expected` (in this order). */
  const shows = (expected: string[]) => waitFor(`the rows ${expected.join(', ')}`, async () => JSON.stringify(await names()) === JSON.stringify(expected), 20_000);
  const search = () => new URL(page.url()).searchParams;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    const created = await ctl.api('POST', '/api/hosts/bulk', {
      hosts: [
        { name: EU1, groups: ['eu'] },
        { name: EU2, groups: ['eu'] },
        { name: US1, groups: ['us'] },
        { name: US2, groups: ['us'] },
        ...Array.from({ length: BULK }, (_, i) => ({ name: `bulk${String(i).padStart(3, '0')}.example.net`, groups: ['bulk'] })),
      ],
    });
    expect(created.status).toBe(201);
    const tokens: Record<string, string> = {};
    for (const h of created.body.created as { id: string; name: string; enrollToken: string }[]) {
      ids[h.name] = h.id;
      tokens[h.name] = h.enrollToken;
    }
    // web1 has a queue, so its agent reports queue figures (its row's sparkline).
    new QueueFixture(path.join(trees[EU1].home, 'queue')).add({ sender: 'a@example.com', recipients: [{ kind: 'remote', address: 'x@gmail.com' }] });
    for (const name of [EU1, EU2, US1]) agents[name] = await connectAgent(ctl, { id: ids[name], enrollToken: tokens[name] }, { qmailHome: trees[name].home, name });

    // web2: a document applied, then its locals edited by hand on the host (drift).
    const put = await ctl.api('PUT', `/api/hosts/${ids[EU2]}/config`, { locals: ['eu.example'], rcpthosts: ['eu.example'] });
    expect(put.status).toBe(200);
    await waitFor('web2 applied', async () => (await ctl.host(ids[EU2])).appliedRevision === put.body.revision);
    trees[EU2].write('control/locals', 'eu.example\nhand.example\n');
    await waitFor('web2 drifted', async () => (await ctl.host(ids[EU2])).drift.length > 0);

    // mx1: a revision its qmail-newu refuses (failed).
    trees[US1].breakQmailNewu();
    const bad = await ctl.api('PUT', `/api/hosts/${ids[US1]}/config`, {
      assignments: [{ kind: 'prefix', address: 'virt.example-', user: 'virt', uid: 89, gid: 89, home: '/home/virt', dash: '-', ext: '' }],
    });
    expect(bad.status).toBe(200);
    await waitFor('mx1 failed', async () => (await ctl.host(ids[US1])).failedRevision === bad.body.revision);

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(ctl.url + '/');
    await page.getByTestId('signin-token').fill(ADMIN_TOKEN);
    await page.getByTestId('signin-submit').click();
  });
  afterAll(async () => {
    await browser?.close();
    for (const a of Object.values(agents)) await a.stop();
    await ctl?.stop();
    for (const t of Object.values(trees)) t.remove();
  });

  it('shows the whole fleet’s totals and the first page, sorted by name', async () => {
    await page.locator(`[data-testid=total-hosts][data-value="${ALL}"]`).waitFor();
    await page.locator('[data-testid=total-connected][data-value="3"]').waitFor();
    await page.locator('[data-testid=total-failed][data-value="1"]').waitFor();
    await page.locator('[data-testid=total-drifted][data-value="1"]').waitFor();
    await page.getByTestId('total-queued').waitFor();
    await page.locator(`[data-testid=fleet-count][data-total="${ALL}"]`).waitFor();
    // A page of 100 holds every host, but only the rows in view (and a few more) are drawn.
    const drawn = await rows().count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(ALL);
    expect((await names())[0]).toBe('bulk000.example.net');
    await snap(page, 'overview');
  });

  it('filters by group, and keeps the filter in the address bar', async () => {
    await page.getByTestId('fleet-group').selectOption('eu');
    await shows([EU1, EU2]);
    expect(search().get('group')).toBe('eu');
    await page.locator('[data-testid=fleet-count][data-total="2"]').waitFor();
    await snap(page, 'group-eu');
  });

  it('draws each row’s last hour of queue sizes, from one read-only call for the page', async () => {
    // The agents report every 10 s and one sample a minute is kept: two points once a minute has
    // turned since web1's agent started. A viewer's token may ask (it only reads).
    const viewer = await ctl.api('POST', '/api/tokens', { name: 'sparkline viewer', role: 'viewer' });
    expect(viewer.status).toBe(201);
    const lines = await waitFor(
      'two minutes of web1 samples',
      async () => {
        const r = await ctl.api('POST', '/api/stats/queues/hosts', { ids: [ids[EU1], ids[EU2], ids[US2]] }, viewer.body.token);
        expect(r.status).toBe(200);
        return r.body.hosts[ids[EU1]].filter((v: number | null) => v !== null).length > 1 ? r.body : undefined;
      },
      100_000,
    );
    expect(lines).toMatchObject({ step: 60, points: 60 });
    expect(lines.hosts[ids[EU1]]).toHaveLength(60);
    // mx2 has no agent: no samples, left out
    expect(lines.hosts[ids[US2]]).toBeUndefined();
    const bad = await ctl.api('POST', '/api/stats/queues/hosts', { ids: [ids[EU1], 'mx1'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('ids[1]');

    // The table asks when the page loads (then every minute), not on each live change.
    await page.reload();
    await shows([EU1, EU2]);
    const line = page.locator(`[data-testid=host-row][data-host-name="${EU1}"] [data-testid=sparkline]`);
    const drawn = await waitFor('web1’s sparkline with points', async () => {
      const n = Number((await line.getAttribute('data-points')) ?? 0);
      return n > 1 ? n : undefined;
    });
    expect(drawn).toBeGreaterThan(1);
    const runs = await line.locator('polyline').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points'))));
    expect(Math.max(...runs)).toBeGreaterThan(1);
    await snap(page, 'sparklines');
  });

  it('filters by state: offline, failed and drifted hosts', async () => {
    await page.getByTestId('fleet-group').selectOption('us');
    await shows([US1, US2]);
    await page.getByTestId('fleet-state-offline').click();
    await shows([US2]);
    expect(search().get('state')).toBe('offline');
    await page.locator(`[data-testid=host-row][data-host-name="${US2}"] [data-testid=host-connected][data-connected=false]`).waitFor();
    await snap(page, 'us-offline');

    await page.getByTestId('fleet-state-offline').click();
    await page.getByTestId('fleet-group').selectOption('');
    await page.getByTestId('fleet-state-failed').click();
    await shows([US1]);
    await page.locator(`[data-testid=host-row-error][data-host-name="${US1}"]`).waitFor();
    await snap(page, 'failed');

    await page.getByTestId('fleet-state-failed').click();
    await page.getByTestId('fleet-state-drift').click();
    await shows([EU2]);
    expect(await page.locator(`[data-testid=host-row][data-host-name="${EU2}"] [data-testid=host-drift]`).textContent()).toBe('1');
    await snap(page, 'drift');

    // Two chips: a host in either state.
    await page.getByTestId('fleet-state-failed').click();
    await shows([US1, EU2]);
    expect(search().get('state')).toBe('failed,drift');
    await page.getByTestId('fleet-clear').click();
    await page.locator(`[data-testid=fleet-count][data-total="${ALL}"]`).waitFor();
  });

  it('searches by a part of the name once typing stops', async () => {
    await page.getByTestId('fleet-search').pressSequentially('.us.', { delay: 30 });
    await shows([US1, US2]);
    expect(search().get('q')).toBe('.us.');
    await snap(page, 'search');
    await page.getByTestId('fleet-search').fill('');
    await page.locator(`[data-testid=fleet-count][data-total="${ALL}"]`).waitFor();
  });

  it('sorts by a column header, both ways', async () => {
    await page.getByTestId('sort-name').click();
    await waitFor('name descending', async () => (await names())[0] === EU2);
    expect(search().get('sort')).toBe('name');
    expect(search().get('order')).toBe('desc');
    expect((await names()).slice(0, 4)).toEqual([EU2, EU1, US2, US1]);
    await snap(page, 'sort-name-desc');

    // The agent column, connected last when ascending, first when descending.
    await page.getByTestId('sort-connected').click();
    await page.getByTestId('sort-connected').click();
    await waitFor('connected first', async () => {
      const first = (await names()).slice(0, 3);
      return first.length === 3 && [EU1, EU2, US1].every((n) => first.includes(n));
    });
    expect(await page.getByTestId('sort-connected').getAttribute('data-order')).toBe('desc');
    await snap(page, 'sort-connected');
  });

  it('pages through the hosts on the controller, and a link opens the same page', async () => {
    await page.getByTestId('sort-name').click(); // name, ascending
    await page.getByTestId('fleet-page-size').selectOption('50');
    await expectText(page.getByTestId('fleet-count'), /^1–50 of 64 hosts$/);
    expect(await page.getByTestId('hosts-table').getAttribute('data-rows')).toBe('50');
    await page.getByTestId('pager').getByText('Next →').click();
    await expectText(page.getByTestId('fleet-count'), /^51–64 of 64 hosts$/);
    expect(await page.getByTestId('hosts-table').getAttribute('data-rows')).toBe('14');
    expect(search().get('page')).toBe('2');
    expect((await names()).slice(-4)).toEqual([US1, US2, EU1, EU2]);
    await snap(page, 'page-2');

    // The address is the view: a fresh tab on it shows the same page.
    const other = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await other.goto(ctl.url + '/');
      await other.getByTestId('signin-token').fill(ADMIN_TOKEN);
      await other.getByTestId('signin-submit').click();
      await other.getByTestId('time-zone').waitFor();
      await other.goto(page.url());
      await expectText(other.getByTestId('fleet-count'), /^51–64 of 64 hosts$/);
    } finally {
      await other.close();
    }
  });

  it('changes a row and the totals live when an agent goes away', async () => {
    await page.getByTestId('fleet-group').selectOption('eu');
    await shows([EU1, EU2]);
    await page.locator(`[data-testid=host-row][data-host-name="${EU1}"] [data-testid=host-connected][data-connected=true]`).waitFor();
    await agents[EU1].stop();
    delete agents[EU1];
    await page.locator(`[data-testid=host-row][data-host-name="${EU1}"] [data-testid=host-connected][data-connected=false]`).waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=total-connected][data-value="2"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=fleet-live][data-live=true]').waitFor();

    // A host that leaves the filter leaves the page.
    await page.getByTestId('fleet-state-connected').click();
    await shows([EU2]);
    await agents[EU2].stop();
    delete agents[EU2];
    await shows([]);
    await page.getByTestId('fleet-empty').waitFor();
    await snap(page, 'live');
  });
});

