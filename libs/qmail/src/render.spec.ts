import fc from 'fast-check';
import { HostDocumentSchema, INTEGER_FIELDS, LIST_FIELDS, SINGLE_LINE_FIELDS, type HostDocument } from '@qfleet/protocol';
import { UnrenderableValue, lowerAscii, parseControlFile, parseList } from './control';
import { FIELD_TABLE, fieldForPath } from './fields';
import { renderDocument } from './render';
import { validateDocument } from './validate';

const file = (path: string, content: string) => ({ path, content, mode: 0o644 });

describe('renderDocument', () => {
  it('renders only the fields the document manages', () => {
    expect(renderDocument({ locals: ['example.com'], databytes: 0 })).toEqual({
      files: [file('control/databytes', '0\n'), file('control/locals', 'example.com\n')],
      removes: [],
    });
  });

  it('renders nothing for an empty document', () => {
    expect(renderDocument({})).toEqual({ files: [], removes: [] });
  });

  it('drops duplicate locals, keeping the first', () => {
    const { files } = renderDocument({ locals: ['b.example', 'a.example', 'b.example'] });
    expect(files).toEqual([file('control/locals', 'b.example\na.example\n')]);
  });

  it('lowercases domains and badmailfrom addresses', () => {
    const { files } = renderDocument({
      locals: ['Example.COM'],
      rcpthosts: ['.Example.COM'],
      morercpthosts: ['Other.Example'],
      percenthack: ['Relay.Example'],
      badmailfrom: ['Spammer@Bad.Example', '@Worse.Example'],
    });
    expect(Object.fromEntries(files.map((f) => [f.path, f.content]))).toEqual({
      'control/badmailfrom': 'spammer@bad.example\n@worse.example\n',
      'control/locals': 'example.com\n',
      'control/morercpthosts': 'other.example\n',
      'control/percenthack': 'relay.example\n',
      'control/rcpthosts': '.example.com\n',
    });
  });

  it('keeps the case of single-line values', () => {
    const { files } = renderDocument({ smtpgreeting: 'Mail.Example.com NO UCE', me: 'Mail.Example.com' });
    expect(files).toEqual([file('control/me', 'Mail.Example.com\n'), file('control/smtpgreeting', 'Mail.Example.com NO UCE\n')]);
  });

  it('renders an empty list as an empty file', () => {
    expect(renderDocument({ badmailfrom: [] }).files).toEqual([file('control/badmailfrom', '')]);
  });

  it('renders integers as bare decimal', () => {
    expect(renderDocument({ queuelifetime: 604800, concurrencyremote: 255 }).files).toEqual([
      file('control/concurrencyremote', '255\n'),
      file('control/queuelifetime', '604800\n'),
    ]);
  });

  it('removes the file of a field set to null', () => {
    expect(renderDocument({ databytes: null, helohost: null })).toEqual({
      files: [],
      removes: ['control/databytes', 'control/helohost'],
    });
  });

  it('removes morercpthosts.cdb with morercpthosts, or it stays in force', () => {
    expect(renderDocument({ morercpthosts: null }).removes).toEqual(['control/morercpthosts', 'control/morercpthosts.cdb']);
  });

  it('sorts files and removes by path', () => {
    const { files, removes } = renderDocument({ timeoutsmtpd: 60, badmailfrom: [], me: 'a.example', rcpthosts: null, locals: null, openRelay: true });
    expect(files.map((f) => f.path)).toEqual(['control/badmailfrom', 'control/me', 'control/timeoutsmtpd']);
    expect(removes).toEqual(['control/locals', 'control/rcpthosts']);
  });

  it('renders virtualdomains, smtproutes, assignments and aliases', () => {
    const doc: HostDocument = {
      me: 'a.example',
      openRelay: false,
      virtualdomains: [{ match: 'B.example', prefix: 'b' }],
      smtproutes: [{ domain: '', relay: 'smarthost.example.net', port: 587 }],
      assignments: [{ kind: 'prefix', address: 'b.example-', user: 'vpopmail', uid: 89, gid: 89, home: '/home/vpopmail/domains/b.example', dash: '-' }],
      aliases: [
        { name: 'postmaster', destinations: [{ kind: 'forward', value: 'root@a.example' }] },
        { name: 'sales', domain: 'b.example', destinations: [{ kind: 'maildir', value: './sales/' }] },
      ],
    };
    expect(renderDocument(doc)).toEqual({
      files: [
        file('alias/.qmail-b-sales', './sales/\n'),
        file('alias/.qmail-postmaster', '&root@a.example\n'),
        file('control/me', 'a.example\n'),
        file('control/smtproutes', ':smarthost.example.net:587\n'),
        file('control/virtualdomains', 'b.example:b\n'),
        file('users/assign', '+b.example-:vpopmail:89:89:/home/vpopmail/domains/b.example:-::\n.\n'),
      ],
      removes: [],
    });
  });

  it('removes users/cdb with users/assign, or the old assignments stay in force', () => {
    expect(renderDocument({ assignments: null, virtualdomains: null, smtproutes: null }).removes).toEqual([
      'control/smtproutes',
      'control/virtualdomains',
      'users/assign',
      'users/cdb',
    ]);
  });

  it('renders no alias files and no removes for aliases: null', () => {
    expect(renderDocument({ aliases: null })).toEqual({ files: [], removes: [] });
  });

  it('refuses a value that qmail would misread, naming the entry', () => {
    expect(() => renderDocument({ locals: ['a.example', 'b.example\nc.example'] })).toThrow(UnrenderableValue);
    expect(() => renderDocument({ locals: ['a.example', 'b.example\nc.example'] })).toThrow('locals[1]');
  });
});

// ---- properties ---------------------------------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
const host = fc.oneof(
  { weight: 4, arbitrary: domain },
  { weight: 1, arbitrary: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((q) => `[${q.join('.')}]`) },
);
const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,10}$/);
const line = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => !/[\r\n\0]/.test(s) && s === s.trim() && s.length > 0);

const managed = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const uniqueList = (arb: fc.Arbitrary<string>) => fc.uniqueArray(arb, { maxLength: 6 });

const singleLineArb = (field: string): fc.Arbitrary<string> => {
  if (field === 'smtpgreeting') return line;
  if (field === 'bouncefrom') return localPart;
  if (field === 'doublebounceto') return fc.oneof(localPart, fc.tuple(localPart, domain).map(([u, d]) => `${u}@${d}`));
  return host;
};
const integerArb = (field: string): fc.Arbitrary<number> =>
  field.startsWith('concurrency') ? fc.integer({ min: 0, max: 255 }) : fc.integer({ min: 0, max: 4_294_967_295 });
const listArb = (field: string): fc.Arbitrary<string[]> => {
  if (field === 'badmailfrom') return uniqueList(fc.tuple(fc.option(localPart, { nil: '' }), domain).map(([u, d]) => `${u}@${d}`));
  if (field === 'rcpthosts' || field === 'morercpthosts') return uniqueList(fc.tuple(fc.boolean(), domain).map(([dot, d]) => (dot ? `.${d}` : d)));
  return uniqueList(domain);
};

const fieldArb = (field: string): fc.Arbitrary<unknown> =>
  (SINGLE_LINE_FIELDS as readonly string[]).includes(field)
    ? managed(singleLineArb(field))
    : (INTEGER_FIELDS as readonly string[]).includes(field)
      ? managed(integerArb(field))
      : managed(listArb(field));

/** Documents of this slice that validateDocument accepts: every field absent, null or a value. */
const documentArb: fc.Arbitrary<HostDocument> = fc
  .record(Object.fromEntries(FIELD_TABLE.map((s) => [s.field, fieldArb(s.field)])), { requiredKeys: [] })
  .map((d) => {
    const doc = d as HostDocument;
    // Removing rcpthosts is valid only as an explicit open relay (Contract).
    return doc.rcpthosts === null ? { ...doc, openRelay: true } : doc;
  });

describe('renderDocument properties', () => {
  it('generates documents that the schema and validateDocument accept', () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        expect(HostDocumentSchema.safeParse(doc).success).toBe(true);
        expect(validateDocument(doc).errors).toEqual([]);
      }),
    );
  });

  it('reads back every managed field as the document says it, and nothing else', () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        const { files, removes } = renderDocument(doc);
        const rendered = new Set([...files.map((f) => f.path), ...removes]);
        for (const spec of FIELD_TABLE) {
          const value = doc[spec.field];
          if (value === undefined) expect(rendered.has(spec.path)).toBe(false);
          else if (value === null) expect(removes).toContain(spec.path);
          else expect(parseControlFile(spec.field, files.find((f) => f.path === spec.path)?.content ?? '')).toEqual(value);
        }
        for (const f of files) {
          expect(fieldForPath(f.path)).toBeDefined();
          expect(f.mode).toBe(0o644);
        }
      }),
    );
  });

  it('renders deterministically, sorted by path', () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        const paths = renderDocument(doc).files.map((f) => f.path);
        expect(paths).toEqual([...paths].sort());
        expect(renderDocument(doc)).toEqual(renderDocument(JSON.parse(JSON.stringify(doc))));
      }),
    );
  });

  const listLine = (pool: string[]) =>
    fc.oneof(
      fc.constantFrom(...pool),
      fc.constantFrom(...pool).map((e) => e.toUpperCase()),
      fc.tuple(fc.constantFrom(...pool), fc.stringMatching(/^[ \t]{1,3}$/)).map(([e, ws]) => e + ws),
      fc.constantFrom('', ' ', '\t', '  \t '),
      fc.constantFrom(...pool).map((e) => `#${e}`),
      fc.constant('# managed by hand'),
    );
  const listFile = fc
    .uniqueArray(domain, { minLength: 1, maxLength: 5 })
    .chain((pool) => fc.tuple(fc.array(listLine(pool), { maxLength: 20 }), fc.boolean()))
    .map(([lines, finalNewline]) => lines.join('\n') + (finalNewline && lines.length ? '\n' : ''));
  const asQmailSees = (entries: string[]) => new Set(entries.map(lowerAscii));

  it.each(LIST_FIELDS)('rewrites a hand-made %s file to one that means the same to qmail', (field) => {
    fc.assert(
      fc.property(listFile, (content) => {
        const entries = parseList(content);
        const out = renderDocument({ [field]: entries }).files[0]?.content ?? '';
        const reread = parseList(out);
        expect(asQmailSees(reread)).toEqual(asQmailSees(entries));
        expect(new Set(reread).size).toBe(reread.length);
        expect(out === '' || out.endsWith('\n')).toBe(true);
      }),
    );
  });
});
