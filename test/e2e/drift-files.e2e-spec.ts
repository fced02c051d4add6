import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DriftFilesViewSchema } from '@qfleet/protocol';
import { ADMIN_TOKEN, TestController } from '../support/controller';
import { connectAgent } from '../support/agent';
import { QmailTree } from '../support/qmail-tree';
import { testDatabases } from '../support/databases';
import { waitFor, type Proc } from '../support/processes';

const REDIS = process.env['QFLEET_TEST_REDIS_URL'];
const LOCALS = 'localhost\nfiles.example\n';

/**
 * `GET /api/hosts/:id/drift/files`: the edited files as the agent reads them now, beside the
 * desired bytes, with a diff. On PostgreSQL with Redis the question goes through a replica
 * that does not hold the agent. The agent reads only drifted (managed) paths, and no link.
 */
describe.each(testDatabases())(
  'the content of drifted files on the %s database',
  (db) => {
    let ctl: TestController;
    /** the controller the API is asked through: a replica without the agent, when Redis is there */
    let asked: TestController;
    let replica: TestController | undefined;
    let agent: Proc | undefined;
    let hostId: string;
    const qmail = new QmailTree();
    let secretDir: string | undefined;
    const files = (query = '', token: string | null = ADMIN_TOKEN) =>
      asked.api(
        'GET',
        `/api/hosts/${hostId}/drift/files${query}`,
        undefined,
        token,
      );

    beforeAll(async () => {
      const shared =
        db === 'postgres' && REDIS
          ? {
              REDIS_URL: REDIS,
              QFLEET_REDIS_KEY: `qfleet-test-${randomBytes(4).toString('hex')}`,
            }
          : {};
      ctl = await TestController.start(db, shared);
      replica =
        db === 'postgres' && REDIS
          ? await TestController.replicaOf(ctl)
          : undefined;
      asked = replica ?? ctl;
      const host = await ctl.createHost('files.example.net');
      hostId = host.id;
      agent = await connectAgent(ctl, host, { qmailHome: qmail.home });
      const put = await ctl.api('PUT', `/api/hosts/${hostId}/config`, {
        locals: ['localhost', 'files.example'],
        rcpthosts: ['files.example'],
        databytes: 5000000,
      });
      expect(put.status).toBe(200);
      await waitFor('revision 1 applied and reported', async () => {
        const h = await ctl.host(hostId);
        return (
          h.appliedRevision === 1 &&
          h.drift.length === 0 &&
          qmail.read('control/locals') === LOCALS
        );
      });
    });
    afterAll(async () => {
      await agent?.stop();
      await replica?.stop();
      await ctl?.stop();
      qmail.remove();
      if (secretDir) fs.rmSync(secretDir, { recursive: true, force: true });
    });

    it('answers no files while nothing drifted', async () => {
      const r = await files();
      expect(r.status).toBe(200);
      expect(DriftFilesViewSchema.parse(r.body)).toEqual({
        desiredRevision: 1,
        appliedRevision: 1,
        files: [],
        more: 0,
      });
    });

    it('shows an edited file with its diff, a deleted one as gone, and does not follow a link', async () => {
      qmail.write('control/locals', `${LOCALS}hacked.example\n`);
      fs.rmSync(path.join(qmail.home, 'control/databytes'));
      // A file outside the qmail home that a link in control/ points at: never read.
      secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qfleet-secret-'));
      fs.writeFileSync(path.join(secretDir, 'shadow'), 'root-only\n');
      fs.rmSync(path.join(qmail.home, 'control/rcpthosts'));
      fs.symlinkSync(
        path.join(secretDir, 'shadow'),
        path.join(qmail.home, 'control/rcpthosts'),
      );
      await waitFor(
        'three drifted files',
        async () => (await asked.host(hostId)).drift.length === 3,
      );

      const r = await files();
      expect(r.status).toBe(200);
      const view = DriftFilesViewSchema.parse(r.body);
      expect(view.more).toBe(0);
      const byPath = new Map(view.files.map((f) => [f.path, f]));
      expect([...byPath.keys()].sort()).toEqual([
        'control/databytes',
        'control/locals',
        'control/rcpthosts',
      ]);

      const locals = byPath.get('control/locals')!;
      expect(locals).toMatchObject({
        desired: LOCALS,
        onHost: `${LOCALS}hacked.example\n`,
      });
      expect(locals.diff).toMatch(/^--- qfleet\/control\/locals/m);
      expect(locals.diff).toMatch(/^\+\+\+ host\/control\/locals/m);
      expect(locals.diff).toMatch(/^\+hacked\.example$/m);
      expect(locals.skipped).toBeUndefined();

      expect(byPath.get('control/databytes')).toMatchObject({
        desired: '5000000\n',
        onHost: null,
      });
      expect(byPath.get('control/databytes')!.diff).toMatch(/^-5000000$/m);

      const link = byPath.get('control/rcpthosts')!;
      expect(link).toMatchObject({
        desired: 'files.example\n',
        onHost: null,
        skipped: expect.stringMatching(/symbolic link/),
      });
      expect(link.diff).toBeUndefined();
      expect(JSON.stringify(r.body)).not.toContain('root-only');
    });

    it('answers the paths asked for, and refuses a path that is not drifted or not inside the qmail home by its field', async () => {
      const one = await files('?path=control/locals');
      expect(one.status).toBe(200);
      expect(
        DriftFilesViewSchema.parse(one.body).files.map((f) => f.path),
      ).toEqual(['control/locals']);

      const two = await files('?path=control/locals&path=control/databytes');
      expect(
        DriftFilesViewSchema.parse(two.body).files.map((f) => f.path),
      ).toEqual(['control/locals', 'control/databytes']);

      const managedButClean = await files('?path=control/me');
      expect(managedButClean.status).toBe(400);
      expect(managedButClean.body.fields).toEqual([
        expect.objectContaining({
          path: 'path',
          message: expect.stringContaining('control/me is not drifted'),
        }),
      ]);

      const outside = await files(
        `?path=${encodeURIComponent('../../etc/passwd')}`,
      );
      expect(outside.status).toBe(400);
      expect(outside.body.fields).toEqual([
        expect.objectContaining({ path: 'path' }),
      ]);

      const unknown = await files('?paths=control/locals');
      expect(unknown.status).toBe(400);
    });

    it('lets a viewer read it, and answers 409 while the agent is offline', async () => {
      const viewer = await ctl.api('POST', '/api/tokens', {
        name: 'drift reader',
        role: 'viewer',
      });
      expect(viewer.status).toBe(201);
      const r = await files('?path=control/locals', viewer.body.token);
      expect(r.status).toBe(200);
      expect(DriftFilesViewSchema.parse(r.body).files[0].onHost).toContain(
        'hacked.example',
      );

      await agent?.stop();
      agent = undefined;
      await waitFor(
        'the host offline',
        async () => !(await asked.host(hostId)).connected,
      );
      const offline = await files();
      expect(offline.status).toBe(409);
      expect(offline.body.message).toMatch(/not connected/);
    });
  },
);
