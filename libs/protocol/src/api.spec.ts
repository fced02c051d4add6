import { BulkCreateHostsSchema, ConfigWriteQuerySchema } from './api';
import { MAX_BULK_HOSTS } from './limits';
import { parsePayload } from './validation';

describe('BulkCreateHostsSchema', () => {
  it('takes up to MAX_BULK_HOSTS hosts with names and groups', () => {
    const hosts = Array.from({ length: MAX_BULK_HOSTS }, (_, i) => ({ name: `h${i}.example.net`, groups: ['eu'] }));
    expect(parsePayload(BulkCreateHostsSchema, { hosts })).toEqual({ ok: true, value: { hosts } });
  });

  it('names each bad row by index and field, a name given twice at its second place', () => {
    const r = parsePayload(BulkCreateHostsSchema, { hosts: [{ name: 'a.example' }, { name: 'bad name' }, { name: 'a.example', groups: ['x y'] }] });
    expect(r).toEqual({
      ok: false,
      problems: [
        { path: 'hosts[1].name', message: 'must be letters, digits, dots and dashes' },
        { path: 'hosts[2].groups[0]', message: 'must be letters, digits, _ . -' },
        { path: 'hosts[2].name', message: 'a.example is given twice (first at hosts[0])' },
      ],
    });
  });

  it('refuses an empty call and one over the limit', () => {
    expect(parsePayload(BulkCreateHostsSchema, { hosts: [] })).toMatchObject({ ok: false, problems: [{ path: 'hosts' }] });
    const over = Array.from({ length: MAX_BULK_HOSTS + 1 }, (_, i) => ({ name: `h${i}.example.net` }));
    expect(parsePayload(BulkCreateHostsSchema, { hosts: over })).toEqual({ ok: false, problems: [{ path: 'hosts', message: `at most ${MAX_BULK_HOSTS} hosts per call; send more in several calls` }] });
  });
});

describe('ConfigWriteQuerySchema', () => {
  it('takes dryRun=true|false or nothing, and names the parameter otherwise', () => {
    expect(parsePayload(ConfigWriteQuerySchema, { dryRun: 'true' })).toEqual({ ok: true, value: { dryRun: 'true' } });
    expect(parsePayload(ConfigWriteQuerySchema, {})).toEqual({ ok: true, value: {} });
    expect(parsePayload(ConfigWriteQuerySchema, { dryRun: 'maybe' })).toMatchObject({ ok: false, problems: [{ path: 'dryRun' }] });
    expect(parsePayload(ConfigWriteQuerySchema, { dryRun: 'true', force: '1' })).toMatchObject({ ok: false });
  });
});
