/**
 * How fast a rollout moves through a fleet (issue 5: "roll a domain out to 500 hosts in one
 * step"; issue 11: the controller's hot paths at 1,000 hosts). Starts the built controller,
 * creates `--hosts N` hosts (default 500) in 5 groups and one group `all` holding every host,
 * of which `--agents K` (default 20) run a real agent on a qmail tree; the rest are offline.
 * Then times a group change reaching every member, a dry run over the whole fleet and a real
 * rollout in batches of `--batch B` (default 100), and prints hosts per second. On PostgreSQL it
 * also prints the rows the database read during the rollout (pg_stat_database). Runs on the
 * embedded database, and on PostgreSQL too when QFLEET_TEST_PG_URL names a server it may
 * create a database on (`--db embedded|postgres` picks one). Needs `npm run build` first.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { TestController } from '../test/support/controller';
import { TestFleet } from '../test/support/fleet';
import { testDatabases, type TestDatabase } from '../test/support/databases';
import { waitFor } from '../test/support/processes';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: process.env['BENCH_HOSTS'] ?? '500' },
    agents: { type: 'string', default: process.env['BENCH_AGENTS'] ?? '20' },
    batch: { type: 'string', default: '100' },
    db: { type: 'string' },
  },
});
const HOSTS = Number(args.hosts);
const AGENTS = Math.min(Number(args.agents), HOSTS);
const BATCH = Number(args.batch);
const GROUPS = ['g1', 'g2', 'g3', 'g4', 'g5'];
const CHANGE = { add: { locals: ['new.example'], rcpthosts: ['new.example'], aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'team@corp.example' }] }] } };

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');

/** Rows PostgreSQL returned or fetched in the controller's database so far (null: embedded). */
async function rowsRead(ctl: TestController): Promise<number | null> {
  const url = ctl.environment['DATABASE_URL'];
  if (!url) return null;
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    // The statistics collector reports with a delay: force this backend's view to be fresh.
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query('SELECT tup_returned + tup_fetched AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
}

/** The longest event-loop stall since the previous scrape (null: a controller without the gauge). */
async function loopLagMax(ctl: TestController): Promise<number | null> {
  const page = (await ctl.api('GET', '/metrics')).body as string;
  const m = typeof page === 'string' ? page.match(/^qfleet_event_loop_lag_seconds\{stat="max"\} ([\d.e+-]+)$/m) : null;
  return m ? Number(m[1]) : null;
}

const lagText = (s: number | null) => (s === null ? '' : `; longest event-loop stall ${s.toFixed(2)} s`);

async function appliedAtLeast(ctl: TestController, revision: number): Promise<number> {
  return ((await ctl.api('GET', '/api/hosts')).body as { appliedRevision: number }[]).filter((h) => h.appliedRevision >= revision).length;
}

async function bench(db: TestDatabase) {
  const ctl = await TestController.start(db, { QFLEET_APPLY_TIMEOUT_MS: '60000' });
  const fleet = new TestFleet(ctl);
  try {
    let t = performance.now();
    const names = Array.from({ length: HOSTS }, (_, i) => `h${String(i).padStart(5, '0')}.example.net`);
    // The groups first: concurrent first uses of a group name would race to create it.
    for (const g of [...GROUPS, 'all']) await ctl.api('POST', '/api/groups', { name: g });
    // 16 creations in flight; the agents start with the first hosts.
    for (let i = 0; i < HOSTS; i += 16) await Promise.all(names.slice(i, i + 16).map((n, j) => fleet.add(n, [GROUPS[(i + j) % GROUPS.length], 'all'], { start: i + j < AGENTS })));
    for (const g of GROUPS) await ctl.api('PUT', `/api/groups/${g}/config`, { locals: [`${g}.example`], rcpthosts: [`${g}.example`] });
    await waitFor('the agents applied their groups', async () => (await appliedAtLeast(ctl, 1)) >= AGENTS, 300_000);
    console.log(`[${db}] set-up: ${HOSTS} hosts (${AGENTS} with a running agent) in ${seconds(performance.now() - t)} s`);

    await loopLagMax(ctl);
    t = performance.now();
    const put = await ctl.api('PUT', '/api/groups/all/config', { locals: ['all.example'], rcpthosts: ['all.example'] });
    const putMs = performance.now() - t;
    if (put.status !== 200 || put.body.hosts.length !== HOSTS) throw new Error(`group change: ${put.status} ${JSON.stringify(put.body).slice(0, 300)}`);
    await waitFor('the agents applied the group change', async () => (await appliedAtLeast(ctl, 2)) >= AGENTS, 300_000);
    const groupMs = performance.now() - t;
    console.log(`[${db}] group change: ${HOSTS} revisions stored in ${seconds(putMs)} s, ${AGENTS} agents applied in ${seconds(groupMs)} s (${rate(HOSTS, groupMs)} hosts/s)${lagText(await loopLagMax(ctl))}`);

    await loopLagMax(ctl);
    t = performance.now();
    const dry = await ctl.api('POST', '/api/rollouts', { target: { groups: GROUPS }, change: CHANGE, batchSize: BATCH, dryRun: true });
    const dryMs = performance.now() - t;
    if (dry.status !== 200 || dry.body.hosts.length !== HOSTS) throw new Error(`dry run: ${dry.status}`);
    console.log(`[${db}] dry run: ${HOSTS} per-host diffs in ${seconds(dryMs)} s (${rate(HOSTS, dryMs)} hosts/s)${lagText(await loopLagMax(ctl))}`);

    await loopLagMax(ctl);
    const readBefore = await rowsRead(ctl);
    t = performance.now();
    const created = await ctl.api('POST', '/api/rollouts', { target: { groups: GROUPS }, change: CHANGE, batchSize: BATCH, maxFailures: 0 });
    if (created.status !== 201) throw new Error(`rollout: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
    const done = await waitFor(
      'the rollout completes',
      async () => {
        const r = (await ctl.api('GET', `/api/rollouts/${created.body.id}?pageSize=1`)).body;
        return r.status === 'running' ? undefined : r;
      },
      900_000,
    );
    const runMs = performance.now() - t;
    const readAfter = await rowsRead(ctl);
    const lag = await loopLagMax(ctl);
    console.log(
      `[${db}] rollout: ${done.status}, ${done.counts.applied} applied + ${done.counts.offline} offline in ${done.batches} batch(es) of ${BATCH}, ${seconds(runMs)} s (${rate(HOSTS, runMs)} hosts/s)` +
        (readBefore !== null && readAfter !== null ? `; ${(readAfter - readBefore).toLocaleString('en-US')} rows read (PostgreSQL, whole database, polling included)` : '') +
        lagText(lag),
    );
  } finally {
    await fleet.cleanUp();
    await ctl.stop();
  }
}

async function main() {
  const dbs = args.db ? [args.db as TestDatabase] : testDatabases();
  for (const db of dbs) await bench(db);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
