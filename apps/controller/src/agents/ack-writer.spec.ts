import { sha256 } from '@qfleet/qmail';
import { openTestDatabase, type TestDatabase } from '../testing/test-database';
import { AckWriter } from './ack-writer';
import { ReportWriter } from './report-writer';

// A real migrated PGlite database (needs NODE_OPTIONS=--experimental-vm-modules).
jest.setTimeout(120_000);

describe('AckWriter', () => {
  let db: TestDatabase;
  let prisma: TestDatabase['prisma'];
  let acks: AckWriter;

  beforeAll(async () => {
    db = await openTestDatabase();
    prisma = db.prisma;
    acks = new AckWriter(db.service);
  });
  afterAll(() => db?.close());

  const sent = {
    files: [
      { path: 'control/locals', content: 'a.example\nb.example\n', mode: 0o644 },
      { path: 'control/rcpthosts', content: 'a.example\n', mode: 0o644 },
    ],
    removes: ['alias/.qmail-old'],
  };
  const ack = (revision: number, ok = true) => ({ revision, ok, changed: ['control/locals'], skipped: [], ms: 3, ...(ok ? {} : { error: { step: 'write', message: 'disk full' } }) });

  it('stores with an ok ack the hashes of the files it wrote, over the last report, and drops the removed ones', async () => {
    const reported = { 'control/locals': sha256('a.example\n'), 'control/me': sha256('me.example\n'), 'alias/.qmail-old': sha256('&x\n') };
    const host = await prisma.host.create({ data: { name: 'merge.example.net', desiredRevision: 2, appliedRevision: 1, reportedFiles: reported } });
    await acks.record(host.id, ack(2), sent);
    const row = await prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    expect(row.appliedRevision).toBe(2);
    expect(row.reportedFiles).toEqual({
      'control/locals': sha256('a.example\nb.example\n'),
      'control/rcpthosts': sha256('a.example\n'),
      // not in the apply: as the agent last reported it
      'control/me': sha256('me.example\n'),
    });
  });

  it('merges into a host that never reported, and leaves the hashes alone on a failed apply', async () => {
    const fresh = await prisma.host.create({ data: { name: 'fresh.example.net', desiredRevision: 1 } });
    const failed = await prisma.host.create({ data: { name: 'failed.example.net', desiredRevision: 2, appliedRevision: 1, reportedFiles: { 'control/locals': 'f'.repeat(64) } } });
    // Both in one batch: one statement.
    await Promise.all([acks.record(fresh.id, ack(1), sent), acks.record(failed.id, ack(2, false), sent)]);
    expect((await prisma.host.findUniqueOrThrow({ where: { id: fresh.id } })).reportedFiles).toEqual({
      'control/locals': sha256('a.example\nb.example\n'),
      'control/rcpthosts': sha256('a.example\n'),
    });
    const row = await prisma.host.findUniqueOrThrow({ where: { id: failed.id } });
    expect(row).toMatchObject({ appliedRevision: 1, failedRevision: 2, reportedFiles: { 'control/locals': 'f'.repeat(64) } });
  });

  it('keeps what an ack stored when a report sent before that ack is written after it', async () => {
    const reports = new ReportWriter(db.service, acks);
    const host = await prisma.host.create({ data: { name: 'stale.example.net', desiredRevision: 2, appliedRevision: 1 } });
    const old = { 'control/locals': sha256('a.example\n') };
    // The agent's report of revision 1 waits in the writer; the ack of revision 2 comes after it.
    const reported = reports.report(host.id, { agentVersion: 'test', appliedRevision: 1, qmail: { installed: true, running: true, since: null }, files: old });
    await acks.record(host.id, ack(2), sent);
    await reports.flush();
    expect(await reported).toMatchObject({ appliedRevision: 2, agentVersion: 'test' });
    const stored = () => prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    expect(await stored()).toMatchObject({ appliedRevision: 2, reportedFiles: { 'control/locals': sha256('a.example\nb.example\n'), 'control/rcpthosts': sha256('a.example\n') } });
    // A report after the ack is the agent's word again.
    const newer = { 'control/locals': sha256('edited\n') };
    const next = await Promise.all([reports.report(host.id, { agentVersion: 'test', appliedRevision: 2, qmail: { installed: true, running: true, since: null }, files: newer }), reports.flush()]);
    expect(next[0]).toMatchObject({ appliedRevision: 2 });
    expect(await stored()).toMatchObject({ appliedRevision: 2, reportedFiles: newer });
  });
});
