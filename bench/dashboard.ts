/**
 * dashboard (issue 13): the fleet page at fleet size, in headless Chromium (Debian's, through
 * playwright-core), against the built controller (`npm run build` first).
 *
 * `--hosts N` hosts (default 10,000; POST /api/hosts/bulk, 1,000 a call) in ten groups, of which
 * `--agents M` (default 1,000) are simulated agents (bench/sim) that connect and report on the
 * real cadence (queue stats every 10 s, a report every 30 s); the rest stay offline. Then:
 *  - first render: from navigation to the first host row drawn (the page's own clock,
 *    performance.now() at the first row, from a MutationObserver), median of 3 loads;
 *  - a filter: from the click (a group picked, then the `offline` chip) to the filtered rows
 *    drawn, median of 3 each;
 *  - `--seconds S` (default 30) of live updates on the unfiltered page: the renderer's CPU
 *    (CDP SystemInfo.getProcessInfo) and the main thread's busy time (CDP Performance
 *    TaskDuration), the `hosts` events and changed hosts the controller sent meanwhile (a
 *    socket of the bench's own on /ui), and how many times the page fetched GET /api/hosts.
 * Prints each figure with the machine's load.
 */
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';
import type { CDPSession, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../test/support/controller';
import { launchBrowser } from '../test/support/browser';
import { waitFor } from '../test/support/processes';
import { machineLine } from './machine';
import { createSimHosts } from './sim/hosts';
import type { SimAgentSpec } from './sim/sim-agent';
import { cpuMeter, percentile, rssMiB } from './sim/proc';
import { benchArgs, figure, header, onController, runBench } from './sim/run';

const { n: N, db: DB, option } = benchArgs('dashboard', { hosts: 10_000, full: 10_000 });
const AGENTS = Math.min(N, Number(option('agents') ?? process.env['BENCH_DASHBOARD_AGENTS'] ?? 1000));
const SECONDS = Number(option('seconds') ?? process.env['BENCH_DASHBOARD_SECONDS'] ?? 30);
const GROUPS = 10;
const RUNS = Number(option('runs') ?? 3);
const TIMEOUT_MS = 600_000;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const median = (xs: number[]) => percentile(xs, 50);

/** Records, in the page, when the first host row is drawn (performance.now(), from navigation). */
const FIRST_ROW_PROBE = `
  (() => {
    const seen = () => document.querySelector('[data-testid=host-row]');
    const mark = () => { if (window.__firstRow === undefined && seen()) { window.__firstRow = performance.now(); } };
    new MutationObserver(mark).observe(document, { childList: true, subtree: true });
  })();
`;

async function firstRender(page: Page, url: string): Promise<number> {
  await page.goto(url);
  const handle = await page.waitForFunction(() => (window as unknown as { __firstRow?: number }).__firstRow, undefined, { timeout: 120_000, polling: 50 });
  return (await handle.jsonValue()) as number;
}

/** Time from `act` to `done` holding in the page, measured by the page's clock around a click. */
async function timed(page: Page, act: () => Promise<void>, done: string): Promise<number> {
  // Strings: in this module `performance` is node's (perf_hooks), not the page's.
  const t0 = (await page.evaluate('performance.now()')) as number;
  await act();
  const handle = await page.waitForFunction(done, undefined, { timeout: 120_000, polling: 'raf' });
  await handle.dispose();
  return ((await page.evaluate('performance.now()')) as number) - t0;
}

async function rendererCpuSec(cdp: CDPSession): Promise<{ renderer: number; all: number }> {
  const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; cpuTime: number }[] };
  const renderer = info.processInfo.filter((p) => p.type === 'renderer').reduce((s, p) => s + p.cpuTime, 0);
  return { renderer, all: info.processInfo.reduce((s, p) => s + p.cpuTime, 0) };
}

async function taskSec(cdp: CDPSession): Promise<number> {
  const m = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return m.metrics.find((x) => x.name === 'TaskDuration')?.value ?? 0;
}

async function main() {
  header(`dashboard: ${N} hosts, ${AGENTS} simulated agents, ${SECONDS} s of updates, ${DB}`);
  console.log(machineLine());
  await onController(DB, { QFLEET_RATE_LIMIT_TOKEN: '10000000', QFLEET_LOG_LEVEL: 'warn' }, async (ctl, sims) => {
    const pid = ctl.proc.child.pid!;
    let t = performance.now();
    // Ten groups of N/10; the agents are spread over them (every tenth host of each group).
    const per = Math.ceil(N / GROUPS);
    const specs: SimAgentSpec[][] = [];
    for (let g = 0; g < GROUPS; g++) specs.push(await createSimHosts(ctl, Math.min(per, N - g * per), { prefix: `g${g}-sim`, groups: [`g${g}`] }));
    figure(`created ${N} hosts in ${GROUPS} groups (POST /api/hosts/bulk) in ${ms(performance.now() - t)}`);
    const agents: SimAgentSpec[] = [];
    for (let i = 0; agents.length < AGENTS; i++) for (const group of specs) if (agents.length < AGENTS && i < group.length) agents.push(group[i]);
    t = performance.now();
    const fleet = await sims.start({ agents });
    await fleet.until('every agent enrolled and connected', (c) => c.enrolled === AGENTS && c.connected === AGENTS, TIMEOUT_MS);
    await waitFor(
      `${AGENTS} hosts connected`,
      async () => {
        const s = await ctl.api('GET', '/api/fleet/summary');
        return s.status === 200 && s.body.connected === AGENTS;
      },
      TIMEOUT_MS,
    );
    figure(`${AGENTS} agents enrolled and connected in ${ms(performance.now() - t)}; controller RSS ${rssMiB(pid)?.toFixed(0)} MiB`);

    const browser = await launchBrowser();
    try {
      // bypassCSP: the probes below are strings, which the dashboard's CSP (script-src 'self') would refuse to evaluate.
      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, bypassCSP: true });
      await context.addInitScript(`localStorage.setItem('qfleet.token', ${JSON.stringify(ADMIN_TOKEN)});`);
      await context.addInitScript(FIRST_ROW_PROBE);
      const page = await context.newPage();

      // The controller's share of a first render: the page of 100 and the summary, from here.
      const api: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await Promise.all([ctl.api('GET', '/api/hosts?page=1&pageSize=100&sort=name&order=asc'), ctl.api('GET', '/api/fleet/summary')]);
        api.push(performance.now() - t0);
      }
      figure(`GET /api/hosts (page of 100) + GET /api/fleet/summary from the bench: median ${ms(median(api))} (${api.map(ms).join(', ')})`);

      const loads: number[] = [];
      for (let i = 0; i < RUNS; i++) loads.push(await firstRender(page, `${ctl.url}/`));
      await page.locator(`[data-testid=fleet-count][data-total="${N}"]`).waitFor({ timeout: 120_000 });
      figure(`first render of the fleet page (navigation → first host row, page size 100 of ${N}): median ${ms(median(loads))} (${loads.map(ms).join(', ')})`);

      const bigLoads: number[] = [];
      for (let i = 0; i < RUNS; i++) bigLoads.push(await firstRender(page, `${ctl.url}/?pageSize=1000`));
      figure(`first render with a page of 1,000 hosts (virtual table): median ${ms(median(bigLoads))} (${bigLoads.map(ms).join(', ')})`);
      // Scrolling the 1,000 rows end to end: how many rows are in the DOM at any time.
      // A string, not a function: ts-node's transpile would hand the browser its async helper.
      const drawn = (await page.evaluate(`(async () => {
        const box = document.querySelector('[data-testid=hosts-scroll]');
        let most = 0;
        for (let y = 0; y <= box.scrollHeight; y += box.clientHeight) {
          box.scrollTop = y;
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          most = Math.max(most, document.querySelectorAll('[data-testid=host-row]').length);
        }
        return most;
      })()`)) as number;
      figure(`page of 1,000 scrolled end to end: at most ${drawn} rows in the DOM at once`);

      const groupTimes: number[] = [];
      const stateTimes: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await page.goto(`${ctl.url}/`);
        await page.locator(`[data-testid=fleet-count][data-total="${N}"]`).waitFor({ timeout: 120_000 });
        await page.locator('[data-testid=fleet-group] option[value="g3"]').waitFor({ state: 'attached' });
        const g = `g${(i % (GROUPS - 1)) + 1}`;
        groupTimes.push(
          await timed(
            page,
            async () => void (await page.getByTestId('fleet-group').selectOption(g)),
            `document.querySelector('[data-testid=fleet-count][data-total="${per}"]') && document.querySelector('[data-testid=host-row]')?.getAttribute('data-host-name')?.startsWith('${g}-')`,
          ),
        );
        await page.getByTestId('fleet-group').selectOption('');
        await page.locator(`[data-testid=fleet-count][data-total="${N}"]`).waitFor({ timeout: 120_000 });
        stateTimes.push(
          await timed(
            page,
            () => page.getByTestId('fleet-state-offline').click(),
            `document.querySelector('[data-testid=fleet-count][data-total="${N - AGENTS}"]') && document.querySelector('[data-testid=host-row] [data-connected=false]')`,
          ),
        );
      }
      figure(`filter by group (${per} rows match): median ${ms(median(groupTimes))} (${groupTimes.map(ms).join(', ')})`);
      figure(`filter by state offline (${N - AGENTS} match): median ${ms(median(stateTimes))} (${stateTimes.map(ms).join(', ')})`);

      // Live updates on the plain first page for SECONDS.
      await page.goto(`${ctl.url}/`);
      await page.locator(`[data-testid=fleet-count][data-total="${N}"]`).waitFor({ timeout: 120_000 });
      await page.locator('[data-testid=fleet-live][data-live=true]').waitFor({ timeout: 60_000 });
      const pageCdp = await context.newCDPSession(page);
      await pageCdp.send('Performance.enable');
      const browserCdp = await browser.newBrowserCDPSession();
      let fetches = 0;
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/hosts') fetches++;
      });
      const watcher = io(`${ctl.url}/ui`, { transports: ['websocket'], auth: { token: ADMIN_TOKEN } });
      let events = 0;
      let changed = 0;
      let resyncs = 0;
      watcher.on('hosts', (d: { changed: unknown[]; resync?: boolean }) => {
        events++;
        changed += d.changed.length;
        if (d.resync) resyncs++;
      });
      await new Promise<void>((resolve, reject) => {
        watcher.once('connect', () => resolve());
        watcher.once('connect_error', reject);
      });
      const ctlCpu = cpuMeter([pid]);
      const cpu0 = await rendererCpuSec(browserCdp);
      const task0 = await taskSec(pageCdp);
      const w0 = performance.now();
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const wall = (performance.now() - w0) / 1000;
      const cpu1 = await rendererCpuSec(browserCdp);
      const task1 = await taskSec(pageCdp);
      const ctlUse = ctlCpu.stop();
      watcher.close();
      const pct = (sec: number) => `${((sec / wall) * 100).toFixed(1)}% of a core`;
      figure(
        `${SECONDS} s of live updates (${events} hosts events, ${changed} changed hosts, ${resyncs} resyncs; the page fetched GET /api/hosts ${fetches} times): ` +
          `renderer CPU ${pct(cpu1.renderer - cpu0.renderer)}, every Chromium process ${pct(cpu1.all - cpu0.all)}, main-thread tasks ${pct(task1 - task0)}; controller ${ctlUse.percentOfCore.toFixed(1)}% of a core`,
      );
      const rows = await page.locator('[data-testid=host-row]').count();
      figure(`rows in the DOM on the live page of 100: ${rows}; simulator: ${fleet.counts.disconnects} disconnects`);
    } finally {
      await browser.close();
    }
  });
}

runBench(main);
