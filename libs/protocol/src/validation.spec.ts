import { HostDocumentSchema } from './document';
import { ConfigApplySchema, HelloSchema } from './agent-events';
import { describeProblems, issuePath, parseFields, parsePayload } from './validation';

describe('payload validation', () => {
  it('names a field by its path, arrays in brackets', () => {
    expect(issuePath(['aliases', 2, 'destinations', 0, 'value'])).toBe('aliases[2].destinations[0].value');
    expect(issuePath([])).toBe('');
  });

  it('refuses a value that qmail would misread: newline, CR, NUL, surrounding whitespace', () => {
    for (const bad of ['a.example\nb.example', 'a.example\r', 'a\0b', ' a.example', 'a.example ']) {
      const r = parsePayload(HostDocumentSchema, { locals: ['ok.example', bad] });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems[0].path).toBe('locals[1]');
    }
  });

  it('keeps absent, null and [] apart (unmanaged, removed, empty file)', () => {
    const r = parsePayload(HostDocumentSchema, { locals: [], rcpthosts: null });
    expect(r).toEqual({ ok: true, value: { locals: [], rcpthosts: null } });
  });

  it('refuses unknown fields by name', () => {
    const r = parsePayload(HostDocumentSchema, { lokals: ['a.example'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(describeProblems(r.problems)).toBe('lokals: unknown field');
  });

  it('names each unknown field by its own full path, one problem per key', () => {
    const r = parsePayload(HostDocumentSchema, {
      lokals: [],
      colour: 'red',
      aliases: [{ name: 'a', destinations: [{ kind: 'forward', value: 'b@x.example' }] }, { name: 'b', destinations: [{ kind: 'forward', value: 'c@x.example', mystery: 1 }], shade: 2 }],
    });
    expect(r).toEqual({
      ok: false,
      problems: expect.arrayContaining([
        { path: 'lokals', message: 'unknown field' },
        { path: 'colour', message: 'unknown field' },
        { path: 'aliases[1].shade', message: 'unknown field' },
        { path: 'aliases[1].destinations[0].mystery', message: 'unknown field' },
      ]),
    });
    if (!r.ok) expect(r.problems).toHaveLength(4);
  });

  it('refuses agent payloads with paths out of the qmail home or bad hashes', () => {
    const hello = parsePayload(HelloSchema, { agentVersion: '1', appliedRevision: 0, qmail: { installed: true, running: null }, files: { '../etc/passwd': 'x' } });
    expect(hello.ok).toBe(false);
    const apply = parsePayload(ConfigApplySchema, { revision: 1, files: [{ path: '/etc/passwd', content: '', mode: 0o644 }], removes: [], postSteps: [] });
    expect(apply.ok).toBe(false);
    if (!apply.ok) expect(apply.problems[0].path).toBe('files[0].path');
  });
});

describe('parseFields', () => {
  it('answers the valid rest of a payload beside the problems of its refused fields', () => {
    const r = parseFields(HostDocumentSchema, { databytes: -5, locals: ['a b'], rcpthosts: null, lokals: [], me: 'mx.example' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path).sort()).toEqual(['databytes', 'lokals']);
    expect(r.rest).toEqual({ locals: ['a b'], rcpthosts: null, me: 'mx.example' });
  });

  it('has no rest for a payload that is not an object', () => {
    const r = parseFields(HostDocumentSchema, ['x']);
    expect(r).toMatchObject({ ok: false, rest: null });
  });

  it('passes a valid payload through', () => {
    expect(parseFields(HostDocumentSchema, { databytes: 5 })).toEqual({ ok: true, value: { databytes: 5 } });
  });
});
