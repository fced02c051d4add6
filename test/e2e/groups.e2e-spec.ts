import { TestController } from '../support/controller';
import { TestFleet } from '../support/fleet';
import { waitFor } from '../support/processes';

/** Groups layered onto hosts: groups in the host's order, then the host (DESIGN.md Contract). */
describe('groups and the effective document', () => {
  let ctl: TestController;
  let fleet: TestFleet;

  beforeAll(async () => {
    ctl = await TestController.start('embedded');
    fleet = new TestFleet(ctl);
  });
  afterAll(async () => {
    await fleet?.cleanUp();
    await ctl?.stop();
  });

  const host = (name: string, groups: string[]) => fleet.add(name, groups);

  it('renders each host from its groups and its own document, and a group change reaches every member', async () => {
    const a = await host('eu1.example.net', ['eu']);
    const b = await host('web1.example.net', ['eu', 'web']);
    expect((await ctl.api('GET', '/api/groups')).body.map((g: { name: string; hosts: number }) => [g.name, g.hosts])).toEqual([
      ['eu', 2],
      ['web', 1],
    ]);

    const eu = await ctl.api('PUT', '/api/groups/eu/config', { locals: ['eu.example'], rcpthosts: ['eu.example'], databytes: 1000 });
    expect(eu.status).toBe(200);
    expect(eu.body.hosts.map((h: { name: string; revision: number }) => [h.name, h.revision])).toEqual([
      ['eu1.example.net', 1],
      ['web1.example.net', 1],
    ]);
    const web = await ctl.api('PUT', '/api/groups/web/config', { locals: ['web.example'], rcpthosts: ['web.example'], databytes: 2000, remove: { locals: ['eu.example'] } });
    expect(web.status).toBe(200);
    expect((await ctl.api('PUT', `/api/hosts/${b.id}/config`, { locals: ['b.example'], rcpthosts: ['b.example'] })).status).toBe(200);

    await waitFor('both hosts applied', async () => {
      const [ha, hb] = await Promise.all([ctl.host(a.id), ctl.host(b.id)]);
      return ha.appliedRevision === ha.desiredRevision && hb.appliedRevision === hb.desiredRevision && hb.desiredRevision === 3;
    });
    expect(a.qmail.read('control/locals')).toBe('eu.example\n');
    expect(a.qmail.read('control/databytes')).toBe('1000\n');
    expect(b.qmail.read('control/locals')).toBe('web.example\nb.example\n');
    expect(b.qmail.read('control/rcpthosts')).toBe('eu.example\nweb.example\nb.example\n');
    expect(b.qmail.read('control/databytes')).toBe('2000\n');

    const eff = await ctl.api('GET', `/api/hosts/${b.id}/effective`);
    expect(eff.body.layers).toEqual(['group:eu', 'group:web', 'host']);
    expect(eff.body.origin['databytes']).toBe('group:web');
    expect(eff.body.origin['locals[1]']).toBe('host');
    expect(eff.body.document.locals).toEqual(['web.example', 'b.example']);

    // Moving a host out of a group gives it a new revision without that group.
    const moved = await ctl.api('PATCH', `/api/hosts/${b.id}`, { groups: ['eu'] });
    expect(moved.status).toBe(200);
    await waitFor('b re-rendered without web', async () => {
      const hb = await ctl.host(b.id);
      return hb.desiredRevision === 4 && hb.appliedRevision === 4;
    });
    expect(b.qmail.read('control/locals')).toBe('eu.example\nb.example\n');
    expect(b.qmail.read('control/databytes')).toBe('1000\n');
    expect((await ctl.api('DELETE', '/api/groups/eu')).status).toBe(409);
    expect((await ctl.api('DELETE', '/api/groups/web')).status).toBe(204);
  });
});
