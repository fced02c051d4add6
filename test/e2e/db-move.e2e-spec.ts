import { TestController } from '../support/controller';
import { createPgDatabase } from '../support/databases';
import { CONTROLLER_MAIN, spawnNode, waitFor } from '../support/processes';

/**
 * `db:move`: a fleet's embedded database moved to PostgreSQL (README "Embedded or
 * PostgreSQL"). The data is made through the API on the embedded database, the controller
 * stopped, the move run, and a controller started on the PostgreSQL database must show the
 * same hosts, groups, revisions, rollouts, tokens and audit trail through the API.
 */
(process.env['QFLEET_TEST_PG_URL'] ? describe : describe.skip)('moving the embedded database to PostgreSQL', () => {
  let embedded: TestController;
  let onPg: TestController | undefined;
  let target: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    embedded = await TestController.start('embedded');
    target = await createPgDatabase();
  });
  afterAll(async () => {
    await onPg?.stop();
    await embedded?.stop();
    await target?.drop();
  });

  /** Everything the API shows that lives in the database (no agent runs: nothing is live). */
  async function views(ctl: TestController, hostIds: string[]): Promise<Record<string, unknown>> {
    const get = async (route: string) => {
      const r = await ctl.api('GET', route);
      expect(r.status).toBe(200);
      return r.body;
    };
    const out: Record<string, unknown> = {
      hosts: await get('/api/hosts'),
      groups: await get('/api/groups'),
      groupEu: await get('/api/groups/eu'),
      rollouts: await get('/api/rollouts'),
      tokens: await get('/api/tokens'),
      // Entries written in the same millisecond (a rollout's bulk revisions) have no order
      // between them that both databases must keep: compared by id within the same instant.
      audit: ((await get('/api/audit')) as { at: string; id: string }[]).sort((a, b) => b.at.localeCompare(a.at) || a.id.localeCompare(b.id)),
    };
    for (const id of hostIds) {
      out[`host ${id}`] = await get(`/api/hosts/${id}`);
      out[`config ${id}`] = await get(`/api/hosts/${id}/config`);
      out[`effective ${id}`] = await get(`/api/hosts/${id}/effective`);
    }
    for (const r of (out['rollouts'] as { items?: { id: string }[] }).items ?? (out['rollouts'] as { id: string }[])) {
      out[`rollout ${r.id}`] = await get(`/api/rollouts/${r.id}`);
    }
    return out;
  }

  async function runMove(env: NodeJS.ProcessEnv, to: string): Promise<{ code: number | null; output: string }> {
    const proc = spawnNode(CONTROLLER_MAIN, ['db:move', '--to', to], env, 'db:move');
    const { code } = await proc.exited;
    return { code, output: proc.output.join('\n') };
  }

  it('copies every table, refuses a target that holds data, and a controller on PostgreSQL shows the same fleet', async () => {
    const ids: string[] = [];
    for (const [name, groups] of [
      ['mx1.move.example', ['eu']],
      ['mx2.move.example', ['eu', 'web']],
      ['mx3.move.example', []],
    ] as const) {
      const r = await embedded.api('POST', '/api/hosts', { name, groups: [...groups] });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    expect((await embedded.api('PUT', '/api/groups/eu/config', { locals: ['eu.move.example'], rcpthosts: ['eu.move.example'], databytes: 1000 })).status).toBe(200);
    expect((await embedded.api('PUT', `/api/hosts/${ids[2]}/config`, { locals: ['own.move.example'], rcpthosts: ['own.move.example'] })).status).toBe(200);
    expect((await embedded.api('POST', '/api/tokens', { name: 'viewer of the move', role: 'viewer' })).status).toBe(201);
    const rollout = await embedded.api('POST', '/api/rollouts', { target: { groups: ['eu'] }, change: { add: { locals: ['rolled.move.example'], rcpthosts: ['rolled.move.example'] } }, batchSize: 1, maxFailures: 0 });
    expect(rollout.status).toBe(201);
    // No agent runs: the hosts are offline, their revisions stored, and the rollout ends.
    await waitFor('the rollout ended', async () => {
      const r = await embedded.api('GET', `/api/rollouts/${rollout.body.id}`);
      return ['completed', 'halted'].includes(r.body.status);
    }, 60_000);
    const before = await views(embedded, ids);

    // The controller holds the embedded database: the move must refuse while it runs.
    const busy = await runMove(embedded.environment, target.url);
    expect(busy.code).toBe(1);
    expect(busy.output).toMatch(/in use by process/);

    await embedded.proc.stop('SIGTERM');
    const moved = await runMove(embedded.environment, target.url);
    expect({ code: moved.code, output: moved.output }).toEqual({ code: 0, output: expect.stringMatching(/moved \d+ rows in \d+ tables/) });
    expect(moved.output).toMatch(/^Host: 3 rows$/m);
    expect(moved.output).toMatch(/^Rollout: 1 rows$/m);

    // A second move into the same database finds it holding data and copies nothing.
    const again = await runMove(embedded.environment, target.url);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/target database is not empty/);

    // A data dir of its own: the PostgreSQL controller cannot read the embedded files.
    onPg = await TestController.start('embedded', { DATABASE_URL: target.url });
    const after = await views(onPg, ids);
    expect(after).toEqual(before);
  });
});
