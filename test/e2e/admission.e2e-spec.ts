import { TestController } from '../support/controller';
import { connectAgent, startAgent } from '../support/agent';
import { testDatabases } from '../support/databases';
import { QmailTree } from '../support/qmail-tree';
import { waitFor, type Proc } from '../support/processes';

jest.setTimeout(180_000);

/**
 * Admission at the agents' edge (issue 11): a cap on agent connections (QFLEET_MAX_AGENTS,
 * from the open-files limit by default) and a steady admission rate
 * (QFLEET_AGENT_ADMIT_PER_SECOND). Real controller, real agents, real database.
 */
describe.each(testDatabases())('admission of agents on the %s database', (db) => {
  let ctl: TestController | undefined;
  const agents: Proc[] = [];
  const trees: QmailTree[] = [];
  const tree = () => {
    const t = new QmailTree();
    trees.push(t);
    return t;
  };

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await ctl?.stop();
    ctl = undefined;
    for (const t of trees.splice(0)) t.remove();
  });

  it('at the cap refuses the next agent with one log line while connected agents and the API keep working, and admits it once there is room', async () => {
    ctl = await TestController.start(db, { QFLEET_MAX_AGENTS: '2' });
    const c = ctl;
    await c.proc.waitForLine(/agents: at most 2 connected \(QFLEET_MAX_AGENTS\)/);
    const [a, b, third] = [await c.createHost('a.example.net'), await c.createHost('b.example.net'), await c.createHost('c.example.net')];
    const agentA = await connectAgent(c, a, { qmailHome: tree().home, name: 'agent-a' });
    agents.push(agentA);
    agents.push(await connectAgent(c, b, { qmailHome: tree().home, name: 'agent-b' }));

    const agentC = startAgent({ controllerUrl: c.url, token: third.enrollToken, qmailHome: tree().home, name: 'agent-c' }).proc;
    agents.push(agentC);
    await c.proc.waitForLine(/refusing new agents: 2 agent connections open, the cap is 2/);
    // The agent is told why and that it may come back; it backs off rather than exits.
    await agentC.waitForLine(/^(?=.*the controller refused the connection for now; retrying)(?=.*holds as many agents as it may \(2\); retry later)(?=.*retryInMs)/);
    expect(agentC.running).toBe(true);
    // Refused again (its backoff): still one line in the controller's log for the lot.
    await waitFor('a second refusal', () => agentC.output.filter((l) => /retry later/.test(l)).length >= 2, 60_000);
    expect(c.proc.output.filter((l) => /refusing new agents/.test(l)).length).toBeLessThan(agentC.output.filter((l) => /retry later/.test(l)).length);

    // The API answers, the connected agents stay connected and their reports are still stored.
    const list = await c.api('GET', '/api/hosts');
    expect(list.status).toBe(200);
    const seenBefore = Date.parse((await c.host(a.id)).lastSeen);
    await waitFor("a's next report stored", async () => Date.parse((await c.host(a.id)).lastSeen) > seenBefore);
    expect((await c.host(a.id)).connected).toBe(true);
    expect((await c.host(b.id)).connected).toBe(true);
    expect((await c.host(third.id)).connected).toBe(false);

    // Room again: the refused agent gets in at its next attempt, enrols and reports.
    await agentA.stop();
    await waitFor('the third agent connected', async () => (await c.host(third.id)).connected, 90_000);
    await waitFor("the third agent's hello stored", async () => (await c.host(third.id)).agentVersion);
  });

  it('admits a connect storm at a steady rate: refused agents are given an appointment, come back no earlier and all get in', async () => {
    // One agent every 4 s, two saved up: of four agents starting together about two are refused,
    // with appointments 4 and 8 s ahead; without one an agent's first retry is within 1 s.
    ctl = await TestController.start(db, { QFLEET_AGENT_ADMIT_PER_SECOND: '0.25' });
    const c = ctl;
    const hosts = await Promise.all(['s1', 's2', 's3', 's4'].map((n) => c.createHost(`${n}.example.net`)));
    for (const [i, h] of hosts.entries()) agents.push(startAgent({ controllerUrl: c.url, token: h.enrollToken, qmailHome: tree().home, name: `storm-${i}` }).proc);
    await c.proc.waitForLine(/connect storm: admitting 0.25 agents a second \(QFLEET_AGENT_ADMIT_PER_SECOND\); the others are given appointments/);
    await waitFor('an agent told to retry later', () => agents.some((p) => p.output.some((l) => /admits 0.25 agents a second; retry later \(in \d+ ms\)/.test(l))));
    expect((await c.api('GET', '/api/hosts')).status).toBe(200);
    await waitFor('every agent connected', async () => (await Promise.all(hosts.map((h) => c.host(h.id)))).every((h) => h.connected), 120_000);
    // Every one enrolled: none gave up on the refusal.
    for (const p of agents) expect(p.running).toBe(true);

    // Each refusal carried an appointment at least one slot (4 s) ahead, and the agent tried
    // again no earlier than it: its next refusal or its connection came after it.
    const logOf = (p: Proc) => p.output.flatMap((l) => {
      try {
        const line = JSON.parse(l) as { time: string; msg: string; retryInMs?: number; appointed?: boolean };
        return [{ ...line, at: Date.parse(line.time) }];
      } catch {
        return [];
      }
    });
    let appointed = 0;
    for (const p of agents) {
      const log = logOf(p);
      const connectedAt = log.find((l) => l.msg === 'connected')!.at;
      const refusals = log.filter((l) => /the controller refused the connection for now/.test(l.msg) && l.at < connectedAt);
      for (const [k, r] of refusals.entries()) {
        expect(r).toMatchObject({ appointed: true, msg: 'the controller refused the connection for now; retrying at its appointment' });
        expect(r.retryInMs).toBeGreaterThanOrEqual(4000);
        const nextTry = k + 1 < refusals.length ? refusals[k + 1].at : connectedAt;
        expect(nextTry - r.at).toBeGreaterThanOrEqual(r.retryInMs!);
        appointed++;
      }
    }
    expect(appointed).toBeGreaterThan(0);
  });
});
