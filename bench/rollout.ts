/**
 * How fast a rollout moves through a fleet (issue 5: "roll a domain out to 500 hosts in one
 * step"). Starts the built controller, creates BENCH_HOSTS hosts (default 500) in 5 groups, of
 * which BENCH_AGENTS (default 20) run a real agent on a qmail tree; the rest are offline. Then
 * times a dry run over the whole fleet and a real rollout in batches of 100, and prints hosts
 * per second. Runs on the embedded database, and on PostgreSQL too when QFLEET_TEST_PG_URL
 * names a server it may create a database on. Needs `npm run build` first.
 */
import { performance } from 'node:perf_hooks';
import { TestController } from '../test/support/controller';
import { TestFleet } from '../test/support/fleet';
import { testDatabases, type TestDatabase } from '../test/support/databases';
import { waitFor } from '../test/support/processes';

const HOSTS = Number(process.env['BENCH_HOSTS'] ?? 500);
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 20);
const GROUPS = ['g1', 'g2', 'g3', 'g4', 'g5'];
const CHANGE = { add: { locals: ['new.example'], rcpthosts: ['new.example'], aliases: [{ name: 'sales', destinations: [{ kind: 'forward', value: 'team@corp.example' }] }] } };

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');

async function bench(db: TestDatabase) {
  const ctl = await TestController.start(db, { QFLEET_APPLY_TIMEOUT_MS: '60000' });
  const fleet = new TestFleet(ctl);
  try {
    let t = performance.now();
    for (let i = 0; i < HOSTS; i++) await fleet.add(`h${String(i).padStart(4, '0')}.example.net`, [GROUPS[i % GROUPS.length]], { start: i < AGENTS });
    for (const g of GROUPS) await ctl.api('PUT', `/api/groups/${g}/config`, { locals: [`${g}.example`], rcpthosts: [`${g}.example`] });
    await waitFor('the agents applied their groups', async () => ((await ctl.api('GET', '/api/hosts')).body as { appliedRevision: number }[]).filter((h) => h.appliedRevision === 1).length >= AGENTS, 300_000);
    console.log(`[${db}] set-up: ${HOSTS} hosts (${AGENTS} with a running agent) in ${seconds(performance.now() - t)} s`);

    t = performance.now();
    const dry = await ctl.api('POST', '/api/rollouts', { target: { groups: GROUPS }, change: CHANGE, batchSize: 100, dryRun: true });
    const dryMs = performance.now() - t;
    if (dry.status !== 200 || dry.body.hosts.length !== HOSTS) throw new Error(`dry run: ${dry.status}`);
    console.log(`[${db}] dry run: ${HOSTS} per-host diffs in ${seconds(dryMs)} s (${rate(HOSTS, dryMs)} hosts/s)`);

    t = performance.now();
    const created = await ctl.api('POST', '/api/rollouts', { target: { groups: GROUPS }, change: CHANGE, batchSize: 100, maxFailures: 0 });
    const done = await waitFor(
      'the rollout completes',
      async () => {
        const r = (await ctl.api('GET', `/api/rollouts/${created.body.id}`)).body;
        return r.status === 'running' ? undefined : r;
      },
      600_000,
    );
    const runMs = performance.now() - t;
    console.log(
      `[${db}] rollout: ${done.status}, ${done.counts.applied} applied + ${done.counts.offline} offline in ${done.batches} batches, ${seconds(runMs)} s (${rate(HOSTS, runMs)} hosts/s)`,
    );
  } finally {
    await fleet.cleanUp();
    await ctl.stop();
  }
}

async function main() {
  for (const db of testDatabases()) await bench(db);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
