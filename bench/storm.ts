/**
 * storm (issue 11): N enrolled agents connecting at once, against the floor, and again after a
 * controller restart. `--hosts N` (default 1,000; `--full`: 10,000); `--pg` or QFLEET_BENCH_PG_URL
 * for PostgreSQL instead of the embedded database; `--admit R` runs the controller with
 * QFLEET_AGENT_ADMIT_PER_SECOND=R. Needs `npm run build` first.
 *  - floor: N simulated agents connect at once to the bare socket.io server; time until all
 *    are connected and their hellos received;
 *  - controller: N hosts created and enrolled (at a steady rate), the agents closed, then all N
 *    connecting at once on their secrets: time until GET /api/hosts shows every host connected
 *    with a hello stored after the start, and how many sockets dropped meanwhile (the
 *    controller admits QFLEET_AGENT_ADMIT_PER_SECOND a second, the others are refused with an
 *    appointment, the next free slot, and come back then);
 *    then a controller restart (SIGTERM, same database and port): time until every host is back.
 * Goal: 10,000 agents all connected with hellos stored in < 30 s, none dropped.
 */
import { performance } from 'node:perf_hooks';
import type { TestController } from '../test/support/controller';
import { createSimHosts } from './sim/hosts';
import { cpuMeter, rssMiB } from './sim/proc';
import { benchArgs, figure, floorAgents, header, onController, onFloor, runBench } from './sim/run';

const { n: N, db: DB, option } = benchArgs('storm', { hosts: 1000, full: 10_000 });
/** `--admit R`: the controller's QFLEET_AGENT_ADMIT_PER_SECOND (its default when not given), to find what it can take. */
const ADMIT = option('admit');
const TIMEOUT_MS = Number(process.env['BENCH_STORM_TIMEOUT_MS'] ?? 600_000);
const GOAL_MS = 30_000;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The host list is the controller's work too: at 10,000 hosts it is read once a second, not ten times. */
const POLL_MS = Math.min(1000, Math.max(100, N / 10));

/**
 * Waits for `check`, printing the simulator's counts every 5 s (where a storm stalls: refusals,
 * handshakes lost, drops).
 */
async function waitFor(what: string, check: () => Promise<boolean>, progress: () => string): Promise<void> {
  const t0 = Date.now();
  let said = t0;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* the controller restarting; asked again */
    }
    if (Date.now() - t0 > TIMEOUT_MS) throw new Error(`timed out waiting for ${what}: ${progress()}`);
    if (Date.now() - said >= 5000) {
      said = Date.now();
      console.log(`  ${((said - t0) / 1000).toFixed(0)} s: ${progress()}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Hosts connected with a hello stored after `since`. */
let lastSeen = 0;
async function connectedSince(ctl: TestController, since: number): Promise<number> {
  const r = await ctl.api('GET', '/api/hosts');
  if (r.status !== 200) throw new Error(`GET /api/hosts: ${r.status}`);
  const hosts = (Array.isArray(r.body) ? r.body : (r.body.hosts ?? r.body.items ?? [])) as { connected: boolean; lastSeen: string | null }[];
  return (lastSeen = hosts.filter((h) => h.connected && h.lastSeen && Date.parse(h.lastSeen) >= since).length);
}

async function main() {
  header(`storm: ${N} agents, ${DB}, controller admitting ${ADMIT ?? 'its default'} a second`);
  // The clock starts once the workers are up and told to connect (forking them is not the storm).
  const floorMs = await onFloor({ connectConcurrency: 0, agents: floorAgents(N) }, async (floor, fleet) => {
    const t = performance.now();
    await fleet.until(`${N} agents connected to the floor`, (c) => c.connected === N, TIMEOUT_MS);
    await waitFor('every hello received', async () => (await floor.status()).received.hello >= N, () => JSON.stringify(fleet.counts));
    const ms = performance.now() - t;
    figure(`[floor] ${N} agents connecting at once: all connected, hellos received in ${s(ms)}; ${fleet.counts.disconnects} drops`);
    return ms;
  });

  await onController(DB, { QFLEET_RATE_LIMIT_TOKEN: '10000000', QFLEET_APPLY_TIMEOUT_MS: '120000', ...(ADMIT ? { QFLEET_AGENT_ADMIT_PER_SECOND: ADMIT } : {}) }, async (ctl, sims) => {
    const specs = await createSimHosts(ctl, N);
    const enrolling = await sims.start({ agents: specs });
    await enrolling.until('every agent enrolled', (c) => c.enrolled === N && c.connected === N, TIMEOUT_MS);
    const secrets = specs.map((x) => ({ name: x.name, token: enrolling.secrets.get(x.name)!.secret }));
    await enrolling.close();
    await waitFor('every host offline', async () => (await connectedSince(ctl, 0)) === 0, () => `${lastSeen} still connected`);

    const since = Date.now();
    const fleet = await sims.start({ agents: secrets, connectConcurrency: 0 });
    let cpu = cpuMeter([ctl.proc.child.pid!]);
    let t = performance.now();
    const progress = () => {
      const k = fleet.counts;
      return `${lastSeen} hosts in with a hello; simulator: ${k.connected} connected, ${k.connectErrors} connect errors (${k.refusals} refusals, ${k.appointments} with an appointment), ${k.handshakesLost} handshakes lost, ${k.disconnects} drops`;
    };
    await waitFor('every host connected with a hello stored', async () => (await connectedSince(ctl, since)) === N, progress);
    let ms = performance.now() - t;
    const stormCpu = cpu.stop();
    const c = fleet.counts;
    const verdict = N < 10_000 ? `not judged at ${N}` : ms < GOAL_MS && c.disconnects === 0 ? 'met' : 'NOT MET';
    figure(
      `[${DB}] ${N} agents connecting at once: all connected, hellos stored in ${s(ms)}; ${(ms / floorMs).toFixed(1)}× the floor (${s(floorMs)}); ${c.disconnects} drops, ${c.connectErrors} connect errors (${c.refusals} of them refusals to retry later, ${c.appointments} with an appointment), ${c.handshakesLost} handshakes lost; goal (10,000 in < 30 s, none dropped): ${verdict}; controller CPU ${stormCpu.percentOfCore.toFixed(0)}% of a core (${stormCpu.cpuSec.toFixed(1)} s, ${((stormCpu.cpuSec * 1000) / N).toFixed(2)} ms an agent), RSS ${rssMiB(ctl.proc.child.pid!)?.toFixed(0)} MiB`,
    );

    const why = (await fleet.collect()).problems;
    if (why.length) console.log(`  what the controller said when it refused:\n    ${[...new Set(why.map((w) => w.replace(/^\S+: /, '')))].join('\n    ')}`);

    const restartAt = Date.now();
    t = performance.now();
    const oldPid = ctl.proc.child.pid!;
    const stopping = ctl.proc.exited.then(() => performance.now() - t);
    await ctl.restart();
    const downMs = performance.now() - t;
    const stopMs = await stopping;
    console.log(`  the old controller (${oldPid}) took ${s(stopMs)} to exit after SIGTERM; the new one listened ${s(downMs)} after it (${ctl.proc.child.pid})`);
    cpu = cpuMeter([ctl.proc.child.pid!]);
    await waitFor('every host back after the restart', async () => (await connectedSince(ctl, restartAt)) === N, progress);
    ms = performance.now() - t;
    figure(`[${DB}] controller restart with ${N} agents: all back with hellos stored in ${s(ms)} (restart included: down ${s(downMs)}, then ${s(ms - downMs)} to bring everyone back); ${fleet.counts.connectErrors - c.connectErrors} connect errors (${fleet.counts.refusals - c.refusals} refusals, ${fleet.counts.appointments - c.appointments} with an appointment), ${fleet.counts.handshakesLost - c.handshakesLost} handshakes lost meanwhile; controller CPU ${cpu.stop().percentOfCore.toFixed(0)}% of a core`);
  });
}

runBench(main);
