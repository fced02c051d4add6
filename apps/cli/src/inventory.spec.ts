import { chunkInventory, parseInventory } from './inventory';

describe('parseInventory', () => {
  it('reads CSV with the header name,groups, groups split on ;, blank and # lines skipped', () => {
    const r = parseInventory('\uFEFFname,groups\r\nmx1.example.net,eu;edge\r\n\n# a comment\n"mx2.example.net", eu \nmx3.example.net,\n');
    expect(r).toEqual({
      ok: true,
      rows: [
        { where: 'line 2', host: { name: 'mx1.example.net', groups: ['eu', 'edge'] } },
        { where: 'line 5', host: { name: 'mx2.example.net', groups: ['eu'] } },
        { where: 'line 6', host: { name: 'mx3.example.net' } },
      ],
    });
    expect(parseInventory('name\nmx1.example.net\n')).toEqual({ ok: true, rows: [{ where: 'line 2', host: { name: 'mx1.example.net' } }] });
  });

  it('reads a JSON array, each row named by its index', () => {
    expect(parseInventory(' [{"name":"a.example"},{"name":"b.example","groups":["x"]}]')).toEqual({
      ok: true,
      rows: [
        { where: '[0]', host: { name: 'a.example' } },
        { where: '[1]', host: { name: 'b.example', groups: ['x'] } },
      ],
    });
  });

  it('names the line and the field of every bad row, and a name given twice', () => {
    const r = parseInventory('name,groups\nok.example,eu\nbad name!,eu\nok.example,\nc.example,bad group!\n');
    expect(r).toEqual({
      ok: false,
      problems: [
        { path: 'line 3', message: 'name: must be letters, digits, dots and dashes' },
        { path: 'line 4', message: 'name: ok.example is given twice (first at line 2)' },
        { path: 'line 5', message: 'groups[0]: must be letters, digits, _ . -' },
      ],
    });
    expect(parseInventory('[{"name":"a.example","labels":{}}, 3]')).toEqual({
      ok: false,
      problems: [
        { path: '[0]', message: 'labels: unknown field' },
        { path: '[1]', message: expect.stringMatching(/^\(row\): /) },
      ],
    });
  });

  it('refuses a header other than name,groups, extra fields, bad JSON and an empty file', () => {
    expect(parseInventory('host,group\na.example,x\n')).toMatchObject({ ok: false, problems: [{ path: 'line 1' }] });
    expect(parseInventory('name,groups\na.example,x,y\n')).toEqual({ ok: false, problems: [{ path: 'line 2', message: '3 fields, the header has 2' }] });
    expect(parseInventory('[{"name":')).toMatchObject({ ok: false, problems: [{ path: '', message: expect.stringMatching(/^not valid JSON/) }] });
    expect(parseInventory('name,groups\n')).toEqual({ ok: false, problems: [{ path: '', message: 'no hosts in it' }] });
    expect(parseInventory('')).toEqual({ ok: false, problems: [{ path: '', message: 'no hosts in it' }] });
  });
});

describe('chunkInventory', () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({ where: `line ${i + 2}`, host: { name: `h${i}.example` } }));

  it('cuts at the host limit and at the byte limit, keeping the order', () => {
    expect(chunkInventory(rows, 10).map((c) => c.length)).toEqual([10, 10, 5]);
    const bySize = chunkInventory(rows, 1000, 100);
    expect(bySize.every((c) => c.reduce((n, r) => n + JSON.stringify(r.host).length + 1, 0) <= 100)).toBe(true);
    expect(bySize.flat()).toEqual(rows);
  });
});
