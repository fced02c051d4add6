import { HostListQuerySchema } from './api';
import { hostStates, matchesStates, type HostFacts } from './host-states';
import { parsePayload } from './validation';

const base: HostFacts = {
  connected: true,
  desiredRevision: 3,
  appliedRevision: 3,
  failedRevision: null,
  drift: [],
  held: false,
  qmail: { installed: true, running: true },
  queue: { messages: 10 },
};

describe('host states', () => {
  it('an applied, connected, quiet host is only connected', () => {
    expect(hostStates(base)).toEqual(['connected']);
  });

  it('a refused revision is failed, not pending; a later revision is pending again', () => {
    expect(hostStates({ ...base, appliedRevision: 2, failedRevision: 3 })).toEqual(['connected', 'failed']);
    expect(hostStates({ ...base, appliedRevision: 2, failedRevision: 2 })).toEqual(['connected', 'pending']);
  });

  it('held needs the held revision to be still pending', () => {
    expect(hostStates({ ...base, appliedRevision: 2, held: true, drift: ['control/locals'] })).toEqual(['connected', 'pending', 'drift', 'held']);
    expect(hostStates({ ...base, held: true })).toEqual(['connected']);
  });

  it('drift as paths or as a count', () => {
    expect(hostStates({ ...base, drift: 2 })).toContain('drift');
    expect(hostStates({ ...base, drift: 0 })).not.toContain('drift');
  });

  it('qmail down when missing or stopped, not when unknown or unsupervised', () => {
    expect(hostStates({ ...base, qmail: { installed: false, running: null } })).toContain('qmail-down');
    expect(hostStates({ ...base, qmail: { installed: true, running: false } })).toContain('qmail-down');
    expect(hostStates({ ...base, qmail: { installed: true, running: null } })).not.toContain('qmail-down');
    expect(hostStates({ ...base, connected: false, qmail: null })).toEqual(['offline']);
  });

  it('queue: more messages than the threshold', () => {
    expect(hostStates({ ...base, queue: { messages: 1001 } })).toContain('queue');
    expect(hostStates({ ...base, queue: { messages: 1000 } })).not.toContain('queue');
    expect(hostStates(base, 5)).toContain('queue');
    expect(hostStates({ ...base, queue: null }, 0)).not.toContain('queue');
  });

  it('several states: any of them', () => {
    expect(matchesStates(base, ['offline', 'connected'])).toBe(true);
    expect(matchesStates(base, ['offline', 'failed'])).toBe(false);
    expect(matchesStates(base, [])).toBe(true);
  });
});

describe('HostListQuerySchema', () => {
  it('fills the defaults', () => {
    expect(parsePayload(HostListQuerySchema, {})).toEqual({ ok: true, value: { page: 1, pageSize: 100, queueAbove: 1000, sort: 'name', order: 'asc' } });
  });

  it('takes query strings: numbers, a comma-separated state list (or repeated)', () => {
    const r = parsePayload(HostListQuerySchema, { page: '3', pageSize: '1000', q: 'MX', group: 'eu', state: 'offline, drift', queueAbove: '5', sort: 'queue', order: 'desc' });
    expect(r).toEqual({ ok: true, value: { page: 3, pageSize: 1000, q: 'MX', group: 'eu', state: ['offline', 'drift'], queueAbove: 5, sort: 'queue', order: 'desc' } });
    expect(parsePayload(HostListQuerySchema, { state: ['failed', 'held'] })).toMatchObject({ ok: true, value: { state: ['failed', 'held'] } });
  });

  it('names the bad field', () => {
    expect(parsePayload(HostListQuerySchema, { pageSize: '1001' })).toMatchObject({ ok: false, problems: [{ path: 'pageSize' }] });
    expect(parsePayload(HostListQuerySchema, { page: '0' })).toMatchObject({ ok: false, problems: [{ path: 'page' }] });
    expect(parsePayload(HostListQuerySchema, { sort: 'colour' })).toMatchObject({ ok: false, problems: [{ path: 'sort' }] });
    expect(parsePayload(HostListQuerySchema, { state: 'offline,asleep' })).toMatchObject({ ok: false, problems: [{ path: 'state[1]', message: expect.stringContaining('must be one of connected') }] });
    expect(parsePayload(HostListQuerySchema, { colour: 'red' })).toEqual({ ok: false, problems: [{ path: 'colour', message: 'unknown field' }] });
  });
});
