import fc from 'fast-check';
import { HostDocumentSchema, INTEGER_FIELDS, SINGLE_LINE_FIELDS, type Alias, type AliasDestination, type HostDocument } from '@qfleet/protocol';
import { lowerAscii, parseList } from './control';
import { FIELD_TABLE } from './fields';
import { importFiles } from './import';
import { parseDotQmail } from './dot-qmail';
import { aliasFileName } from './aliases';
import { lookupVirtualDomain, parseVirtualDomains } from './virtualdomains';
import { lookupSmtpRoute, parseSmtpRoutes } from './smtproutes';
import { parseAssign } from './assign';
import { renderDocument, type RenderedSet } from './render';
import { validateDocument } from './validate';
import { readFixtureTree } from './test-fixtures';

const filesOf = (r: RenderedSet) => Object.fromEntries(r.files.map((f) => [f.path, f.content]));

describe('importFiles', () => {
  it('reads each control file by its kind, with notes for what qmail ignores', () => {
    const r = importFiles({
      'control/me': 'mail.example.com\nsecond line\n',
      'control/timeoutsmtpd': ' 20\n',
      'control/databytes': '20000abc\n',
      'control/locals': '# local\n\nExample.COM\n example.net\nexample.com\n',
      'control/rcpthosts': 'example.com\n',
    });
    expect(r.document).toEqual({ me: 'mail.example.com', databytes: 20000, locals: ['example.com'], rcpthosts: ['example.com'] });
    expect(r.notes).toEqual([
      { path: 'control/databytes', message: 'read as 20000; the rest of the file is ignored by qmail' },
      { path: 'control/locals', message: 'line 1: comment dropped' },
      { path: 'control/locals', message: 'line 2: blank line skipped' },
      { path: 'control/locals', message: 'line 4: never matches (leading blank or control character): dropped' },
      { path: 'control/locals', message: 'line 5: duplicate dropped' },
      { path: 'control/me', message: 'only the first line is read; the rest dropped' },
      { path: 'control/timeoutsmtpd', message: 'does not begin with a digit, so qmail treats it as missing: left unmanaged' },
    ]);
    expect(r.unmodelled).toEqual([]);
  });

  it('notes an open relay and leaves rcpthosts unmanaged', () => {
    const r = importFiles({ 'control/me': 'a.example\n' });
    expect(r.document).toEqual({ me: 'a.example' });
    expect(r.notes).toEqual([{ path: 'control/rcpthosts', message: 'no control/rcpthosts: this server is an open relay' }]);
  });

  it('reverses the virtual prefix of alias files and maps : back to .', () => {
    const r = importFiles({
      'control/rcpthosts': '',
      'control/virtualdomains': 'example.com:example\n',
      'alias/.qmail-example-sales': '&a@b.example\n',
      'alias/.qmail-john:doe': '&c@d.example\n',
    });
    expect(r.document.aliases).toEqual([
      { name: 'sales', domain: 'example.com', destinations: [{ kind: 'forward', value: 'a@b.example' }] },
      { name: 'john.doe', destinations: [{ kind: 'forward', value: 'c@d.example' }] },
    ]);
  });

  it('leaves a file it cannot express as it is, with the reason', () => {
    const r = importFiles({
      'control/rcpthosts': '',
      'users/assign': '#comment:x:1:1:/h:::\n.\n',
      'control/virtualdomains': 'a.example: spaced\n',
      'alias/.qmail-Upper': '&a@b.example\n',
      'alias/.qmail-empty': '',
      'control/me': ' leading\n',
    });
    expect(r.unmodelled.map((u) => u.path).sort()).toEqual(['alias/.qmail-Upper', 'alias/.qmail-empty', 'control/me', 'control/virtualdomains', 'users/assign']);
    expect(r.document).toEqual({ rcpthosts: [] });
  });

  it('ignores the cdbs that qmail-newmrh and qmail-newu build', () => {
    const r = importFiles({ 'control/rcpthosts': 'a.example\n', 'control/morercpthosts.cdb': 'x', 'users/cdb': 'x' });
    expect(r.unmodelled).toEqual([]);
    expect(r.document).toEqual({ rcpthosts: ['a.example'] });
  });
});

describe('importFiles on real-world trees', () => {
  const lwq = readFixtureTree('lwq');
  const vpop = readFixtureTree('vpopmail');

  it.each([['lwq', lwq], ['vpopmail', vpop]])('imports the %s tree into a valid document', (_, files) => {
    const { document } = importFiles(files);
    expect(HostDocumentSchema.safeParse(document).success).toBe(true);
    expect(validateDocument(document).errors).toEqual([]);
  });

  it('lists what qfleet does not model, untouched', () => {
    expect(importFiles(lwq).unmodelled.map((u) => u.path).sort()).toEqual([
      'alias/.qmail-list-owner',
      'alias/.qmail-list-owner-default',
      'control/concurrencyincoming',
      'control/defaultdelivery',
      'control/servercert.pem',
      'users/include',
    ]);
    expect(importFiles(vpop).unmodelled).toEqual([]);
  });

  it('qualifies the LWQ admin forward as qmail-send does, and keeps the catch-all and the autoreply', () => {
    const { document, notes } = importFiles(lwq);
    const byName = new Map((document.aliases ?? []).map((a) => [aliasFileName(a, document), a]));
    expect(byName.get('.qmail-postmaster')?.destinations).toEqual([{ kind: 'forward', value: 'dave@mail.example.com' }]);
    expect(byName.get('.qmail-default')?.destinations).toEqual([{ kind: 'maildir', value: './Maildir/' }]);
    expect(byName.get('.qmail-junk')?.destinations).toEqual([{ kind: 'discard' }]);
    expect(byName.get('.qmail-example-sales')).toEqual({
      name: 'sales',
      domain: 'example.org',
      destinations: [
        { kind: 'forward', value: 'sales@elsewhere.example' },
        { kind: 'autoreply', autoreply: { subject: 'Thanks for writing', body: 'We will answer within a day.\n', periodSec: 86400 } },
      ],
    });
    expect(notes).toContainEqual({ path: 'control/timeoutsmtpd', message: 'does not begin with a digit, so qmail treats it as missing: left unmanaged' });
  });

  /** Re-rendering an imported tree keeps what qmail does with every file it models. */
  it.each([['lwq', lwq], ['vpopmail', vpop]])('re-renders the %s tree with the same meaning', (_, files) => {
    const { document, unmodelled } = importFiles(files);
    const out = filesOf(renderDocument(document));
    const skipped = new Set(unmodelled.map((u) => u.path));
    for (const spec of FIELD_TABLE) {
      const before = files[spec.path];
      if (before === undefined || skipped.has(spec.path)) continue;
      if (spec.kind === 'list') expect(new Set(parseList(out[spec.path] ?? '').map(lowerAscii))).toEqual(new Set(parseList(before).map(lowerAscii)));
    }
    const probes = ['joe@example.com', 'ann@example.org', 'x@a.example.net', 'dave@mail.example.com', 'x@nowhere.example'];
    if (files['control/virtualdomains']) {
      const [a, b] = [parseVirtualDomains(files['control/virtualdomains']).entries, parseVirtualDomains(out['control/virtualdomains'] ?? '').entries];
      for (const p of probes) expect(lookupVirtualDomain(b, p)).toBe(lookupVirtualDomain(a, p));
    }
    if (files['control/smtproutes']) {
      const [a, b] = [parseSmtpRoutes(files['control/smtproutes']).entries, parseSmtpRoutes(out['control/smtproutes'] ?? '').entries];
      for (const h of ['inside.af.mil', 'x.af.mil', 'af.mil', 'example.com']) expect(lookupSmtpRoute(b, h)).toEqual(lookupSmtpRoute(a, h));
    }
    if (files['users/assign']) expect(parseAssign(out['users/assign'] ?? '').entries).toEqual(parseAssign(files['users/assign']).entries);
    // Every modelled alias file is rendered again under its own name with the same deliveries,
    // bare names qualified with envnoathost as qmail-send does (QMAIL.md §1).
    const qualify = (d: AliasDestination): AliasDestination => (d.kind === 'forward' && !d.value.includes('@') ? { ...d, value: `${d.value}@${document.me}` } : d);
    const companion = (src: Record<string, string>) => (p: string) => src[`alias/${p}`];
    for (const path of Object.keys(files).filter((p) => p.startsWith('alias/.qmail-') && !skipped.has(p))) {
      expect(out[path]).toBeDefined();
      expect(parseDotQmail(out[path] ?? '', companion(out)).entries).toEqual(parseDotQmail(files[path] ?? '', companion(files)).entries.map(qualify));
    }
  });
});

// ---- round trip over the whole document -------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'));
const vdomain = fc.tuple(fc.stringMatching(/^[a-m]{1,4}$/), fc.constantFrom('com', 'org')).map(([l, t]) => `${l}.${t}`);
const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,8}$/);
const line = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s) && s === s.trim());
const path = fc.stringMatching(/^\/[a-z0-9_]{1,6}(\/[a-z0-9_]{1,6}){0,2}$/);
const managed = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const uniqueBy = <T>(arb: fc.Arbitrary<T>, key: (t: T) => string, maxLength = 5) => fc.uniqueArray(arb, { maxLength, selector: key });

const scalarArb = (field: string): fc.Arbitrary<unknown> => {
  if ((INTEGER_FIELDS as readonly string[]).includes(field)) return managed(field.startsWith('concurrency') ? fc.integer({ min: 0, max: 255 }) : fc.nat());
  if (!(SINGLE_LINE_FIELDS as readonly string[]).includes(field)) {
    const entry = field === 'badmailfrom' ? fc.tuple(fc.option(localPart, { nil: '' }), domain).map(([u, d]) => `${u}@${d}`) : field.endsWith('rcpthosts') ? fc.tuple(fc.boolean(), domain).map(([dot, d]) => (dot ? `.${d}` : d)) : domain;
    return managed(fc.uniqueArray(entry, { maxLength: 5 }));
  }
  if (field === 'smtpgreeting') return managed(line);
  if (field === 'bouncefrom') return managed(localPart);
  if (field === 'doublebounceto') return managed(fc.tuple(localPart, domain).map(([u, d]) => `${u}@${d}`));
  return managed(domain);
};

const autoreply = fc.record({ subject: line, body: fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0')), periodSec: fc.nat(86400) }, { requiredKeys: ['subject', 'body', 'periodSec'] });
const filter = fc.record({
  rules: fc.array(fc.record({ field: fc.constantFrom('from' as const, 'subject' as const), contains: line, action: fc.constant('discard' as const) }), { minLength: 1, maxLength: 2 }),
  otherwise: fc.constant({ action: 'deliver' as const }),
});
/** Forwards leave the host (remote.example is neither local nor virtual), so no loops. */
const destination: fc.Arbitrary<AliasDestination> = fc.oneof(
  localPart.map((l) => ({ kind: 'forward' as const, value: `${l}@remote.example` })),
  path.map((p) => ({ kind: 'maildir' as const, value: `${p}/` })),
  path.map((p) => ({ kind: 'mbox' as const, value: `.${p}` })),
  fc.stringMatching(/^[a-z][a-z0-9 /-]{0,10}[a-z0-9]$/).map((c) => ({ kind: 'program' as const, value: c })),
);
const destinations: fc.Arbitrary<AliasDestination[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null).map((): AliasDestination[] => [{ kind: 'discard' }]) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.array(destination, { maxLength: 3 }), fc.option(autoreply, { nil: undefined }), fc.option(filter, { nil: undefined }))
      .map(([ds, a, f]) => [...(f ? [{ kind: 'filter' as const, filter: f }] : []), ...ds, ...(a ? [{ kind: 'autoreply' as const, autoreply: a }] : [])])
      .filter((ds) => ds.length > 0),
  },
);

const documentArb: fc.Arbitrary<HostDocument> = fc
  .tuple(
    fc.record(Object.fromEntries(FIELD_TABLE.map((s) => [s.field, scalarArb(s.field)])), { requiredKeys: [] }),
    // Distinct prefixes without '-', so each alias file maps back to one domain.
    managed(uniqueBy(fc.tuple(vdomain, fc.stringMatching(/^[a-z0-9]{1,5}$/)).map(([match, prefix]) => ({ match, prefix })), (v) => v.match)).map((vs) =>
      vs ? vs.filter((v, i) => vs.findIndex((w) => w.prefix === v.prefix) === i) : vs,
    ),
    managed(
      uniqueBy(
        fc.tuple(fc.oneof(fc.constant(''), domain, domain.map((d) => `.${d}`)), fc.oneof(fc.constant(''), domain, fc.constant('[192.0.2.1]')), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([d, relay, port]) =>
          relay === '' || port === undefined ? { domain: d, relay } : { domain: d, relay, port },
        ),
        (r) => r.domain,
      ),
    ),
    managed(
      uniqueBy(
        fc.record({
          kind: fc.constantFrom('exact' as const, 'prefix' as const),
          address: fc.stringMatching(/^[a-z0-9.-]{0,8}$/),
          user: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
          uid: fc.integer({ min: 1, max: 65535 }),
          gid: fc.nat(65535),
          home: path,
          dash: fc.constant('-'),
          ext: fc.stringMatching(/^[a-z0-9]{1,4}$/),
        }, { requiredKeys: ['kind', 'address', 'user', 'uid', 'gid', 'home'] }),
        (a) => `${a.kind}:${a.address}`,
      ),
    ),
    fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9.]{0,6}$/), fc.nat(), destinations), { maxLength: 5, selector: ([n]) => n }),
    fc.boolean(),
  )
  .map(([scalars, virtualdomains, smtproutes, assignments, aliasSeeds, manageAliases]) => {
    const doc = { ...scalars } as HostDocument;
    if (doc.rcpthosts === null) doc.openRelay = true;
    if (virtualdomains !== null) doc.virtualdomains = virtualdomains;
    if (smtproutes !== null) doc.smtproutes = smtproutes;
    if (assignments !== null) doc.assignments = assignments;
    if (manageAliases) {
      const withPrefix = (virtualdomains ?? []).filter((v) => v.prefix !== '');
      const seen = new Set<string>();
      doc.aliases = aliasSeeds
        .map(([name, pick, ds]): Alias => {
          const vd = withPrefix.length && pick % 3 === 0 ? withPrefix[pick % withPrefix.length] : undefined;
          return vd ? { name, domain: vd.match, destinations: ds } : { name, destinations: ds };
        })
        .filter((a) => {
          const f = aliasFileName(a, doc);
          return !seen.has(f) && !!seen.add(f);
        });
    }
    return doc;
  });

/** What import can give back: removals and empty alias lists leave no file behind. */
function normalise(doc: HostDocument): HostDocument {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (v !== null && k !== 'openRelay') out[k] = v;
  const d = out as HostDocument;
  if (d.aliases) {
    d.aliases = d.aliases
      .map((a) => ({ ...a, destinations: [...a.destinations.filter((x) => x.kind === 'filter'), ...a.destinations.filter((x) => x.kind !== 'filter')] }))
      .sort((a, b) => (aliasFileName(a, doc) < aliasFileName(b, doc) ? -1 : 1));
    if (d.aliases.length === 0) delete d.aliases;
  }
  return d;
}

describe('import round trip', () => {
  it('generates documents that the schema and validateDocument accept', () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        expect(HostDocumentSchema.safeParse(doc).success).toBe(true);
        expect(validateDocument(doc).errors).toEqual([]);
      }),
    );
  });

  it('imports the rendered files of a document as the document', () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        const r = importFiles(filesOf(renderDocument(doc)));
        expect(r.unmodelled).toEqual([]);
        expect(r.document).toEqual(normalise(doc));
      }),
      { numRuns: 200 },
    );
  });
});
