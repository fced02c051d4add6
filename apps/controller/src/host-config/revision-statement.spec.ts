import { openTestDatabase, type TestDatabase } from '../testing/test-database';
import { storeRevisionChunk } from './revision-statement';

// A real migrated PGlite database (needs NODE_OPTIONS=--experimental-vm-modules).
jest.setTimeout(120_000);

describe('storeRevisionChunk', () => {
  let db: TestDatabase;
  let prisma: TestDatabase['prisma'];

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = db.prisma;
  });
  afterAll(() => db?.close());

  const rendered = { files: [{ path: 'control/locals', content: 'a.example\n', mode: 0o644 }], removes: [], postSteps: [] };
  const content = { document: { locals: ['a.example'] }, effective: { locals: ['a.example'] }, rendered };

  it("writes the bumps, the revisions, the audit entries and the rollout's rows together, each row naming its own revision", async () => {
    const a = await prisma.host.create({ data: { name: 'a.store', desiredRevision: 3, reportedFiles: { 'control/me': 'x' } } });
    const b = await prisma.host.create({ data: { name: 'b.store', desiredRevision: 7 } });
    const rollout = await prisma.rollout.create({ data: { kind: 'change', status: 'running', createdBy: 'alice', target: {}, change: {}, batchSize: 10, maxFailures: 0, batchTimeoutSec: 60 } });
    await prisma.rolloutHost.createMany({ data: [a, b].map((h, i) => ({ rolloutId: rollout.id, hostId: h.id, name: h.name, batch: 0, position: i })) });
    const sentAt = new Date('2026-12-07T10:00:00.000Z');

    const bumped = await storeRevisionChunk(db.service, {
      rows: [
        { hostId: a.id, k: 0, d: 0, previous: 3, mark: { state: 'applying', sentAt, queueBefore: 4, oldestBefore: 1.5 } },
        { hostId: b.id, k: 0, d: 1, previous: 7, mark: { state: 'held', error: 'drifted: control/locals', sentAt } },
      ],
      contents: [content],
      diffs: [{ document: { locals: { added: ['a.example'] } } }, { document: { locals: { added: ['a.example'] } }, privileged: [{ kind: 'program', path: 'aliases.x' }] }],
      by: 'alice [rollout r]',
      action: 'rollout.apply',
      rolloutId: rollout.id,
    });

    expect(Object.fromEntries(bumped.map((r) => [r.name, Number(r.desiredRevision)]))).toEqual({ 'a.store': 4, 'b.store': 8 });
    // The reported hashes come back once per distinct value (here each host has its own).
    expect(bumped.find((r) => r.id === a.id)?.reportedFiles).toEqual({ 'control/me': 'x' });
    const configs = await prisma.hostConfig.findMany({ orderBy: { revision: 'asc' } });
    expect(configs.map((c) => [c.hostId, c.revision, c.createdBy])).toEqual([
      [a.id, 4, 'alice [rollout r]'],
      [b.id, 8, 'alice [rollout r]'],
    ]);
    expect(configs[0].rendered).toEqual(rendered);
    expect(configs[1].document).toEqual(content.document);
    const audit = await prisma.auditEntry.findMany({ where: { action: 'rollout.apply' }, orderBy: { target: 'asc' } });
    expect(Object.fromEntries(audit.map((e) => [e.target, e.diff]))).toEqual({
      [`host:${a.id}`]: { revision: 4, document: { locals: { added: ['a.example'] } } },
      [`host:${b.id}`]: { revision: 8, document: { locals: { added: ['a.example'] } }, privileged: [{ kind: 'program', path: 'aliases.x' }] },
    });
    expect(audit.every((e) => e.actor === 'alice [rollout r]')).toBe(true);
    const rows = await prisma.rolloutHost.findMany({ where: { rolloutId: rollout.id }, orderBy: { position: 'asc' } });
    expect(rows.map((r) => [r.state, r.revision, r.previousRevision, r.error, r.sentAt?.toISOString(), r.queueBefore, r.oldestBefore, r.doneAt])).toEqual([
      ['applying', 4, 3, null, sentAt.toISOString(), 4, 1.5, null],
      ['held', 8, 7, 'drifted: control/locals', sentAt.toISOString(), null, null, null],
    ]);
  });

  it('leaves out a host deleted before the store, and writes nothing for it', async () => {
    const kept = await prisma.host.create({ data: { name: 'kept.store' } });
    const before = await prisma.hostConfig.count();
    const bumped = await storeRevisionChunk(db.service, {
      rows: [
        { hostId: kept.id, k: 0, d: 0, previous: 0 },
        { hostId: 'gone-host-id', k: 0, d: 0, previous: 0 },
      ],
      contents: [content],
      diffs: [{ document: null }],
      by: 'bob',
      action: 'group.config:web',
    });
    expect(bumped.map((r) => r.id)).toEqual([kept.id]);
    expect(await prisma.hostConfig.count()).toBe(before + 1);
    expect(await prisma.auditEntry.count({ where: { target: 'host:gone-host-id' } })).toBe(0);
  });
});
