import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { FleetSummary, HostView, HostsDelta } from '@qfleet/protocol';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { QueueFixture } from '../support/queue-fixture';
import { testDatabases } from '../support/databases';
import { runCli } from '../support/cli';
import { waitFor, type Proc } from '../support/processes';

/**
 * Issue 13: the fleet overview's API. One page of hosts, filtered by name, group and state
 * (the states decided by libs/protocol host-states.ts), sorted, with X-Total-Count; the fleet
 * summary; and the `/ui` host deltas, against real agents in every state.
 */
describe.each(testDatabases())('the host list on the %s database', (db) => {
  let ctl: TestController;
  let ui: Socket;
  const deltas: HostsDelta[] = [];
  const summaries: FleetSummary[] = [];
  const trees: QmailTree[] = [];
  const agents: Proc[] = [];
  const dirs: string[] = [];
  const ids: Record<string, string> = {};

  const list = async (query: string) => {
    const res = await fetch(`${ctl.url}/api/hosts${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const body = (await res.json()) as HostView[] & { message?: string; fields?: { path: string; message: string }[] };
    return { status: res.status, body, total: res.headers.get('x-total-count'), names: Array.isArray(body) ? body.map((h) => h.name) : [] };
  };
  const names = async (query: string) => (await list(query)).names;

  const tree = () => {
    const t = new QmailTree();
    trees.push(t);
    return t;
  };
  const create = async (name: string, groups?: string[]) => {
    const r = await ctl.api('POST', '/api/hosts', { name, groups });
    expect(r.status).toBe(201);
    ids[name] = r.body.id;
    return r.body as { id: string; enrollToken: string };
  };

  beforeAll(async () => {
    ctl = await TestController.start(db);
    ui = io(`${ctl.url}/ui`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'] });
    ui.on('hosts', (d: HostsDelta) => deltas.push(d));
    ui.on('fleetSummary', (s: FleetSummary) => summaries.push(s));
    await new Promise<void>((resolve, reject) => (ui.once('connect', () => resolve()), ui.once('connect_error', reject)));

    // ok: applied, in group edge, two messages queued.
    const okTree = tree();
    const queue = new QueueFixture(path.join(okTree.home, 'queue'));
    queue.add({ sender: 'a@example.com', recipients: [{ kind: 'remote', address: 'x@gmail.com' }], queuedAt: new Date(Date.now() - 600_000) });
    queue.add({ sender: 'b@example.com', recipients: [{ kind: 'remote', address: 'y@gmail.com' }] });
    const ok = await create('a-ok.example.net', ['edge']);
    await ctl.api('PUT', `/api/hosts/${ok.id}/config`, { locals: ['a.example'] });
    agents.push(await connectAgent(ctl, ok, { qmailHome: okTree.home, args: ['--queue-interval', '1'] }));

    // pending: a revision and no agent.
    const pending = await create('b-PENDING.example.net');
    await ctl.api('PUT', `/api/hosts/${pending.id}/config`, { locals: ['b.example'] });

    // qmail down: the agent finds no qmail under its home.
    const down = await create('c-down.example.net');
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-noqmail-'));
    dirs.push(empty);
    agents.push(await connectAgent(ctl, down, { qmailHome: empty }));

    // failed: qmail-newu breaks, the revision is refused.
    const failTree = tree();
    failTree.breakQmailNewu();
    const fail = await create('d-fail.example.net');
    agents.push(await connectAgent(ctl, fail, { qmailHome: failTree.home }));
    await ctl.api('PUT', `/api/hosts/${fail.id}/config`, {
      locals: ['d.example'],
      assignments: [{ kind: 'exact', address: 'ann', user: 'ann', uid: 600, gid: 600, home: '/home/ann' }],
    });

    // held: locals edited on the host, then a revision that would overwrite the edit.
    const heldTree = tree();
    const held = await create('e-held.example.net');
    await ctl.api('PUT', `/api/hosts/${held.id}/config`, { locals: ['e.example'], rcpthosts: ['e.example'] });
    agents.push(await connectAgent(ctl, held, { qmailHome: heldTree.home }));
    await waitFor('revision 1 applied on e-held', async () => (await ctl.host(held.id)).appliedRevision === 1);
    heldTree.write('control/locals', 'e.example\nhand.example\n');
    await waitFor('drift on e-held', async () => JSON.stringify((await ctl.host(held.id)).drift) === '["control/locals"]');
    await ctl.api('PUT', `/api/hosts/${held.id}/config`, { locals: ['e.example', 'f.example'], rcpthosts: ['e.example'] });

    // twenty bare hosts to page through.
    for (let i = 0; i < 20; i++) await create(`x-${String(i).padStart(2, '0')}.example.net`);

    await waitFor('every state settled', async () => {
      const [failed, held, drift, queue] = await Promise.all([names('?state=failed'), names('?state=held'), names('?state=drift'), names('?state=queue&queueAbove=1')]);
      return failed.join() === 'd-fail.example.net' && held.join() === 'e-held.example.net' && drift.join() === 'e-held.example.net' && queue.join() === 'a-ok.example.net';
    });
  });

  afterAll(async () => {
    ui?.close();
    for (const a of agents) await a.stop();
    await ctl?.stop();
    trees.forEach((t) => t.remove());
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  it('with no parameter answers every host by name, as before paging', async () => {
    const r = await list('');
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(25);
    expect(r.names.slice(0, 5)).toEqual(['a-ok.example.net', 'b-PENDING.example.net', 'c-down.example.net', 'd-fail.example.net', 'e-held.example.net']);
  });

  it('pages, with X-Total-Count the hosts matching the filters', async () => {
    const first = await list('?page=1&pageSize=10');
    expect(first.total).toBe('25');
    expect(first.names).toEqual(['a-ok', 'b-PENDING', 'c-down', 'd-fail', 'e-held', 'x-00', 'x-01', 'x-02', 'x-03', 'x-04'].map((n) => `${n}.example.net`));
    const second = await list('?q=x-&page=2&pageSize=15');
    expect(second.total).toBe('20');
    expect(second.names).toEqual(['x-15', 'x-16', 'x-17', 'x-18', 'x-19'].map((n) => `${n}.example.net`));
    const beyond = await list('?q=x-&page=3&pageSize=15');
    expect([beyond.status, beyond.body, beyond.total]).toEqual([200, [], '20']);
    // A page holds full host views.
    expect(first.body[0]).toMatchObject({ id: ids['a-ok.example.net'], groups: ['edge'], connected: true, desiredRevision: 1, appliedRevision: 1, held: false, queue: { messages: 2 } });
  });

  it('filters by name (any case) and group', async () => {
    expect(await names('?q=pending')).toEqual(['b-PENDING.example.net']);
    expect(await names('?q=HELD.EXAMPLE')).toEqual(['e-held.example.net']);
    expect(await names('?group=edge')).toEqual(['a-ok.example.net']);
    expect((await list('?group=nowhere')).total).toBe('0');
  });

  it('filters by each state, and by several (any of them)', async () => {
    const xs = Array.from({ length: 20 }, (_, i) => `x-${String(i).padStart(2, '0')}.example.net`);
    expect(await names('?state=connected')).toEqual(['a-ok', 'c-down', 'd-fail', 'e-held'].map((n) => `${n}.example.net`));
    expect(await names('?state=offline')).toEqual(['b-PENDING.example.net', ...xs]);
    expect(await names('?state=failed')).toEqual(['d-fail.example.net']);
    expect(await names('?state=pending')).toEqual(['b-PENDING.example.net', 'e-held.example.net']);
    expect(await names('?state=drift')).toEqual(['e-held.example.net']);
    expect(await names('?state=held')).toEqual(['e-held.example.net']);
    expect(await names('?state=qmail-down')).toEqual(['c-down.example.net']);
    expect(await names('?state=queue&queueAbove=1')).toEqual(['a-ok.example.net']);
    expect(await names('?state=queue')).toEqual([]); // 2 messages is not over the default 1000
    expect(await names('?state=failed,held')).toEqual(['d-fail.example.net', 'e-held.example.net']);
    expect(await names('?state=offline&q=pend')).toEqual(['b-PENDING.example.net']);
    const held = (await list('?state=held')).body[0];
    expect(held).toMatchObject({ held: true, desiredRevision: 2, appliedRevision: 1, drift: ['control/locals'] });
  });

  it('sorts by a column, ties by name', async () => {
    expect((await names('?sort=name&order=desc&pageSize=2'))).toEqual(['x-19.example.net', 'x-18.example.net']);
    expect(await names('?sort=connected&order=desc&pageSize=5')).toEqual(['a-ok', 'c-down', 'd-fail', 'e-held', 'b-PENDING'].map((n) => `${n}.example.net`));
    expect((await names('?sort=queue&order=desc&pageSize=1'))).toEqual(['a-ok.example.net']);
    expect((await names('?sort=oldest&order=desc&pageSize=1'))).toEqual(['a-ok.example.net']);
    expect((await names('?sort=drift&order=desc&pageSize=1'))).toEqual(['e-held.example.net']);
    expect((await names('?sort=desiredRevision&order=desc&pageSize=1'))).toEqual(['e-held.example.net']);
    expect((await names('?sort=qmail&pageSize=1'))).toEqual(['b-PENDING.example.net']); // unknown first, then not installed
    expect((await names('?sort=qmail&q=.&state=connected&pageSize=1'))).toEqual(['c-down.example.net']);
    expect((await names('?sort=groups&order=desc&pageSize=1'))).toEqual(['a-ok.example.net']);
    const bySeen = await list('?sort=lastSeen&order=desc&state=connected');
    expect(bySeen.body.map((h) => h.lastSeen)).toEqual([...bySeen.body.map((h) => h.lastSeen)].sort().reverse());
  });

  it('refuses a bad parameter with a 400 that names it', async () => {
    for (const [query, field] of [
      ['?pageSize=1001', 'pageSize'],
      ['?page=0', 'page'],
      ['?state=offline,asleep', 'state'],
      ['?sort=colour', 'sort'],
      ['?order=up', 'order'],
      ['?queueAbove=-1', 'queueAbove'],
      ['?colour=red', 'colour'],
    ]) {
      const r = await list(query);
      expect([query, r.status]).toEqual([query, 400]);
      expect(r.body.message).toContain(field);
    }
    // An unknown parameter is named by itself, as a form or a script would look it up.
    const misspelt = await list('?pageSize2=5&colour=red');
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.fields).toEqual([
      { path: 'pageSize2', message: 'unknown field' },
      { path: 'colour', message: 'unknown field' },
    ]);
    expect(misspelt.body.message).toBe('invalid request: pageSize2: unknown field; colour: unknown field');
  });

  it('sums the fleet up', async () => {
    const r = await ctl.api<FleetSummary>('GET', '/api/fleet/summary');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ hosts: 25, connected: 4, offline: 21, failed: 1, pending: 2, drifted: 1, held: 1, qmailDown: 1, messagesQueued: 2, oldestMessageAgeSec: expect.any(Number) });
    expect(r.body.oldestMessageAgeSec).toBeGreaterThanOrEqual(599);
  });

  it('qfleet hosts list pages and filters the same way, and says N of TOTAL', async () => {
    const r = await runCli(ctl.url, ['hosts', 'list', '--state', 'failed,held', '--sort', 'name', '--desc', '--page-size', '1']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1].split(/\s{2,}/)[0]).toBe('e-held.example.net');
    expect(lines.at(-1)).toBe('1 of 2 hosts');
    const match = await runCli(ctl.url, ['--json', 'hosts', 'list', '--match', 'DOWN', '--group', 'edge']);
    expect(JSON.parse(match.stdout)).toEqual([]);
    const bad = await runCli(ctl.url, ['hosts', 'list', '--sort', 'colour']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('sort');
  });

  it('sends the view of a host whose agent connects over /ui, and the new summary', async () => {
    const late = await create('g-late.example.net');
    const seen = deltas.length;
    agents.push(await connectAgent(ctl, late, { qmailHome: tree().home }));
    const view = await waitFor('a hosts delta with g-late connected', async () => deltas.slice(seen).flatMap((d) => d.changed).find((h) => h.id === late.id && h.connected));
    expect(view).toMatchObject({ name: 'g-late.example.net', connected: true, held: false });
    expect(deltas.every((d) => Array.isArray(d.changed) && Array.isArray(d.removed))).toBe(true);
    await waitFor('a summary with 5 connected of 26', async () => summaries.some((s) => s.hosts === 26 && s.connected === 5));
  });
});
