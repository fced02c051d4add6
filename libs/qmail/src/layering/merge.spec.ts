import fc from 'fast-check';
import { HostDocumentSchema, LIST_FIELDS, type Alias, type Assignment, type HostDocument } from '@qfleet/protocol';
import { renderDocument } from '../render';
import { changeAsLayer, mergeLayers } from './merge';
import { applyChangeToLayer } from './change';
import { ChangeSchema, LayerSchema, type ChangeAdd, type Layer, type RemoveSpec } from './schema';

const merge = (...docs: Layer[]) => mergeLayers(docs.map((document, i) => ({ source: `L${i}`, document })));
const alias = (name: string, to: string, domain?: string): Alias => ({
  name,
  ...(domain === undefined ? {} : { domain }),
  destinations: [{ kind: 'forward', value: to }],
});
const assignment = (kind: 'exact' | 'prefix', address: string, user: string): Assignment => ({ kind, address, user, uid: 1000, gid: 1000, home: `/home/${user}` });

describe('mergeLayers', () => {
  describe('scalars', () => {
    it('lets the later layer win', () => {
      expect(merge({ me: 'a.example', databytes: 1 }, { me: 'b.example' }).document).toEqual({ me: 'b.example', databytes: 1 });
    });

    it('lets a later null win: managed and removed', () => {
      expect(merge({ databytes: 1000 }, { databytes: null }).document).toEqual({ databytes: null });
    });

    it('keeps the earlier value when the later layer lacks the field', () => {
      expect(merge({ helohost: 'mx.example', openRelay: true }, {}).document).toEqual({ helohost: 'mx.example', openRelay: true });
    });

    it('lets a later value replace an earlier null', () => {
      expect(merge({ me: null }, { me: 'c.example' }).document).toEqual({ me: 'c.example' });
    });

    it('lets a later openRelay false win', () => {
      expect(merge({ openRelay: true }, { openRelay: false }).document).toEqual({ openRelay: false });
    });

    it('records which layer each scalar came from', () => {
      expect(merge({ me: 'a.example', databytes: 1 }, { me: 'b.example', helohost: null }).origin).toEqual({ me: 'L1', databytes: 'L0', helohost: 'L1' });
    });
  });

  describe('string lists', () => {
    it('unites in order of first appearance', () => {
      expect(merge({ locals: ['b.example', 'a.example'] }, { locals: ['c.example', 'a.example', 'd.example'] }).document).toEqual({
        locals: ['b.example', 'a.example', 'c.example', 'd.example'],
      });
    });

    it('compares ASCII case-insensitively as qmail does and keeps the first spelling', () => {
      expect(merge({ rcpthosts: ['Example.COM'] }, { rcpthosts: ['example.com', 'Other.example'] }).document).toEqual({ rcpthosts: ['Example.COM', 'Other.example'] });
    });

    it('drops duplicates inside one layer, the first kept', () => {
      expect(merge({ locals: ['a.example', 'A.EXAMPLE', 'b.example', 'a.example'] }).document).toEqual({ locals: ['a.example', 'b.example'] });
    });

    it('renders the merged list as render would render the concatenation', () => {
      const merged = merge({ locals: ['B.example', 'a.example'] }, { locals: ['b.EXAMPLE', 'c.example'] }).document;
      expect(renderDocument(merged).files).toEqual(renderDocument({ locals: ['B.example', 'a.example', 'b.EXAMPLE', 'c.example'] }).files);
    });

    it('keeps an earlier list when the later layer adds []', () => {
      expect(merge({ locals: ['a.example'] }, { locals: [] }).document).toEqual({ locals: ['a.example'] });
    });

    it('manages an absent field from [] on (an empty file)', () => {
      expect(merge({}, { badmailfrom: [] }).document).toEqual({ badmailfrom: [] });
    });

    it('records each entry at its index in the result, and the last layer that named the list', () => {
      expect(merge({ locals: ['a.example', 'b.example'] }, { locals: ['b.example', 'c.example'] }).origin).toEqual({
        locals: 'L1',
        'locals[0]': 'L0',
        'locals[1]': 'L0',
        'locals[2]': 'L1',
      });
    });
  });

  describe('object lists', () => {
    it('replaces an alias with an equal name and domain in place', () => {
      const { document, origin } = merge(
        { aliases: [alias('postmaster', 'a@remote.example'), alias('sales', 'b@remote.example'), alias('sales', 'c@remote.example', 'v.example')] },
        { aliases: [alias('info', 'd@remote.example'), alias('SALES', 'e@remote.example')] },
      );
      expect(document.aliases).toEqual([
        alias('postmaster', 'a@remote.example'),
        alias('SALES', 'e@remote.example'),
        alias('sales', 'c@remote.example', 'v.example'),
        alias('info', 'd@remote.example'),
      ]);
      expect(origin).toEqual({ aliases: 'L1', 'aliases[0]': 'L0', 'aliases[1]': 'L1', 'aliases[2]': 'L0', 'aliases[3]': 'L1' });
    });

    it('keys assignments by kind and address', () => {
      expect(
        merge({ assignments: [assignment('exact', 'joe', 'joe'), assignment('prefix', 'joe', 'joe')] }, { assignments: [assignment('exact', 'Joe', 'joseph')] }).document
          .assignments,
      ).toEqual([assignment('exact', 'Joe', 'joseph'), assignment('prefix', 'joe', 'joe')]);
    });

    it('keys virtualdomains by match and smtproutes by domain', () => {
      const { document } = merge(
        { virtualdomains: [{ match: 'v.example', prefix: 'v' }, { match: '', prefix: 'catch' }], smtproutes: [{ domain: '', relay: 'smart.example' }, { domain: 'a.example', relay: '' }] },
        { virtualdomains: [{ match: 'V.example', prefix: 'w' }], smtproutes: [{ domain: '', relay: 'other.example', port: 2525 }] },
      );
      expect(document).toEqual({
        virtualdomains: [{ match: 'V.example', prefix: 'w' }, { match: '', prefix: 'catch' }],
        smtproutes: [{ domain: '', relay: 'other.example', port: 2525 }, { domain: 'a.example', relay: '' }],
      });
    });

    it('keeps the first of equal keys inside one layer, as render does', () => {
      expect(merge({ smtproutes: [{ domain: 'a.example', relay: 'one.example' }, { domain: 'a.example', relay: 'two.example' }] }).document).toEqual({
        smtproutes: [{ domain: 'a.example', relay: 'one.example' }],
      });
    });
  });

  describe('null lists', () => {
    it('makes the field managed-and-removed whatever the earlier layers had', () => {
      const { document, origin } = merge({ locals: ['a.example'], aliases: [alias('x', 'a@remote.example')] }, { locals: null, aliases: null });
      expect(document).toEqual({ locals: null, aliases: null });
      expect(origin).toEqual({ locals: 'L1', aliases: 'L1' });
    });

    it('lets a later list start afresh after a null', () => {
      expect(merge({ locals: ['a.example'] }, { locals: null }, { locals: ['b.example'] }).document).toEqual({ locals: ['b.example'] });
    });
  });

  describe('remove', () => {
    it('removes by value and by key from what the earlier layers gave', () => {
      const { document, origin } = merge(
        { locals: ['old.example', 'keep.example'], aliases: [alias('sales', 'a@remote.example'), alias('sales', 'b@remote.example', 'v.example'), alias('info', 'c@remote.example')] },
        { remove: { locals: ['OLD.example'], aliases: [{ name: 'sales' }] } },
      );
      expect(document).toEqual({ locals: ['keep.example'], aliases: [alias('sales', 'b@remote.example', 'v.example'), alias('info', 'c@remote.example')] });
      expect(origin).toEqual({ locals: 'L0', 'locals[0]': 'L0', aliases: 'L0', 'aliases[0]': 'L0', 'aliases[1]': 'L0' });
    });

    it('names an alias with a domain only together with its domain', () => {
      expect(merge({ aliases: [alias('sales', 'b@remote.example', 'v.example')] }, { remove: { aliases: [{ name: 'sales', domain: 'V.EXAMPLE' }] } }).document).toEqual({ aliases: [] });
    });

    it('applies after the layer’s own entries, so it removes them too', () => {
      expect(merge({ locals: ['a.example'] }, { locals: ['b.example', 'c.example'], remove: { locals: ['a.example', 'b.example'] } }).document).toEqual({ locals: ['c.example'] });
    });

    it('removes assignments, virtualdomains and smtproutes by key', () => {
      const { document } = merge(
        {
          assignments: [assignment('exact', 'joe', 'joe'), assignment('prefix', 'joe', 'joe')],
          virtualdomains: [{ match: 'v.example', prefix: 'v' }, { match: '', prefix: 'all' }],
          smtproutes: [{ domain: '', relay: 'smart.example' }, { domain: 'a.example', relay: '' }],
        },
        { remove: { assignments: [{ kind: 'prefix', address: 'JOE' }], virtualdomains: [{ match: '' }], smtproutes: [{ domain: '' }] } },
      );
      expect(document).toEqual({
        assignments: [assignment('exact', 'joe', 'joe')],
        virtualdomains: [{ match: 'v.example', prefix: 'v' }],
        smtproutes: [{ domain: 'a.example', relay: '' }],
      });
    });

    it('leaves an absent field absent and a null field null', () => {
      expect(merge({ locals: null }, { remove: { locals: ['a.example'], rcpthosts: ['a.example'] } }).document).toEqual({ locals: null });
    });

    it('may leave an empty list, which stays managed', () => {
      expect(merge({ locals: ['a.example'] }, { remove: { locals: ['a.example'] } }).document).toEqual({ locals: [] });
    });

    it('ignores entries that are not there', () => {
      expect(merge({ locals: ['a.example'] }, { remove: { locals: ['b.example'] } }).document).toEqual({ locals: ['a.example'] });
    });
  });

  it('merges groups in order, then the host', () => {
    const { document, origin } = mergeLayers([
      { source: 'group:base', document: { me: 'base.example', locals: ['localhost'], databytes: 10_000_000, rcpthosts: ['base.example'] } },
      { source: 'group:eu', document: { me: 'eu.example', locals: ['eu.example'], remove: { rcpthosts: ['base.example'] } } },
      { source: 'host', document: { me: 'mx1.eu.example', databytes: null } },
    ]);
    expect(document).toEqual({ me: 'mx1.eu.example', databytes: null, locals: ['localhost', 'eu.example'], rcpthosts: [] });
    expect(origin).toEqual({
      me: 'host',
      databytes: 'host',
      locals: 'group:eu',
      'locals[0]': 'group:base',
      'locals[1]': 'group:eu',
      rcpthosts: 'group:base',
    });
    expect(HostDocumentSchema.safeParse(document).success).toBe(true);
  });

  it('gives an empty document for no layers', () => {
    expect(mergeLayers([])).toEqual({ document: {}, origin: {} });
  });
});

/** A layer without `remove` and no groups under it: the change merged on top, by the merge's own rules. */
describe('applyChangeToLayer without groups', () => {
  const doc: HostDocument = { me: 'a.example', locals: ['a.example'], aliases: [alias('sales', 'a@remote.example')] };

  it('adds as a merge adds', () => {
    expect(applyChangeToLayer(doc, { add: { locals: ['b.example', 'A.example'], aliases: [alias('sales', 'b@remote.example'), alias('info', 'c@remote.example')] } }, [])).toEqual({
      me: 'a.example',
      locals: ['a.example', 'b.example'],
      aliases: [alias('sales', 'b@remote.example'), alias('info', 'c@remote.example')],
    });
  });

  it('removes by value and key', () => {
    expect(applyChangeToLayer(doc, { remove: { locals: ['a.example'], aliases: [{ name: 'sales' }] } }, [])).toEqual({ me: 'a.example', locals: [], aliases: [] });
  });

  it('sets scalars, null included', () => {
    expect(applyChangeToLayer(doc, { set: { me: null, databytes: 5, openRelay: true } }, [])).toEqual({ ...doc, me: null, databytes: 5, openRelay: true });
  });

  it('starts managing a list it adds to', () => {
    expect(applyChangeToLayer({}, { add: { rcpthosts: ['a.example'] } }, [])).toEqual({ rcpthosts: ['a.example'] });
  });

  it('does not change the document it is given', () => {
    const before = structuredClone(doc);
    applyChangeToLayer(doc, { add: { locals: ['z.example'] }, remove: { aliases: [{ name: 'sales' }] }, set: { me: 'z.example' } }, []);
    expect(doc).toEqual(before);
  });

  it('is the merge of the document and the change as a layer', () => {
    const change = { add: { locals: ['b.example'] }, remove: { locals: ['a.example'] }, set: { helohost: 'h.example' } };
    expect(changeAsLayer(change)).toEqual({ locals: ['b.example'], helohost: 'h.example', remove: { locals: ['a.example'] } });
    expect(applyChangeToLayer(doc, change, [])).toEqual(mergeLayers([{ source: 'x', document: doc }, { source: 'y', document: changeAsLayer(change) }]).document);
  });
});

describe('schemas', () => {
  it('accepts a layer with remove and refuses unknown fields', () => {
    expect(LayerSchema.safeParse({ locals: ['a.example'], remove: { locals: ['b.example'], aliases: [{ name: 'sales' }] } }).success).toBe(true);
    expect(LayerSchema.safeParse({ local: ['a.example'] }).success).toBe(false);
    expect(LayerSchema.safeParse({ remove: { aliases: [{ name: 'sales', destinations: [] }] } }).success).toBe(false);
    expect(LayerSchema.safeParse({ remove: { me: ['x'] } }).success).toBe(false);
  });

  it('accepts a change in the document’s shapes', () => {
    expect(
      ChangeSchema.safeParse({
        add: { locals: ['a.example'], aliases: [alias('sales', 'a@remote.example')] },
        remove: { smtproutes: [{ domain: '' }] },
        set: { databytes: null, me: 'x.example', openRelay: false },
      }).success,
    ).toBe(true);
  });

  it.each([
    ['a null list to add', { add: { locals: null } }],
    ['a scalar in add', { add: { me: 'x.example' } }],
    ['a list in set', { set: { locals: ['a.example'] } }],
    ['a multi-line scalar', { set: { me: 'a\nb' } }],
    ['a negative integer', { set: { databytes: -1 } }],
    ['an unknown part', { replace: {} }],
  ])('refuses %s', (_name, change) => {
    expect(ChangeSchema.safeParse(change).success).toBe(false);
  });
});

// Properties. Small value pools so that layers share keys often.
const domain = fc.constantFrom('a.example', 'B.example', 'b.example', 'c.example', 'D.EXAMPLE', 'e.example');
const stringList = fc.array(domain, { maxLength: 4 });
const aliasArb = fc
  .record({ name: fc.constantFrom('sales', 'info', 'Sales', 'root'), domain: fc.option(fc.constantFrom('v.example', 'W.example'), { nil: undefined }), to: fc.constantFrom('x', 'y') })
  .map(({ name, domain: d, to }) => alias(name, `${to}@remote.example`, d));
const routeArb = fc.record({ domain: fc.constantFrom('', 'a.example', 'A.example', 'b.example'), relay: fc.constantFrom('', 'r1.example', 'r2.example') });
const assignmentArb = fc
  .record({ kind: fc.constantFrom('exact' as const, 'prefix' as const), address: fc.constantFrom('', 'joe', 'Joe', 'ann'), user: fc.constantFrom('u1', 'u2') })
  .map(({ kind, address, user }) => assignment(kind, address, user));
const vdArb = fc.record({ match: fc.constantFrom('', 'v.example', 'V.example', 'w.example'), prefix: fc.constantFrom('', 'p1', 'p2') });

const listsArb = (nulls: boolean) => {
  const opt = <T>(arb: fc.Arbitrary<T>) => (nulls ? fc.option(arb, { nil: null }) : arb);
  return fc.record(
    {
      locals: opt(stringList),
      rcpthosts: opt(stringList),
      aliases: opt(fc.array(aliasArb, { maxLength: 4 })),
      smtproutes: opt(fc.array(routeArb, { maxLength: 3 })),
      assignments: opt(fc.array(assignmentArb, { maxLength: 3 })),
      virtualdomains: opt(fc.array(vdArb, { maxLength: 3 })),
    },
    { requiredKeys: [] },
  );
};
const scalarsArb = (nulls: boolean) => {
  const opt = <T>(arb: fc.Arbitrary<T>) => (nulls ? fc.option(arb, { nil: null }) : arb);
  return fc.record({ me: opt(domain), databytes: opt(fc.nat(10)), openRelay: fc.boolean() }, { requiredKeys: [] });
};
const layerArb = (nulls: boolean): fc.Arbitrary<HostDocument> => fc.tuple(scalarsArb(nulls), listsArb(nulls)).map(([s, l]) => ({ ...s, ...l }) as HostDocument);

const keyUnique = <T>(list: readonly T[], key: (t: T) => string) => new Set(list.map(key)).size === list.length;
const lower = (s: string) => s.toLowerCase();
/** A document whose lists hold no two entries with equal keys (what merging any layers gives). */
const isNormal = (d: HostDocument) =>
  (['locals', 'rcpthosts'] as const).every((f) => keyUnique(d[f] ?? [], lower)) &&
  keyUnique(d.aliases ?? [], (a) => `${lower(a.name)}@${lower(a.domain ?? '')}:${a.domain === undefined}`) &&
  keyUnique(d.smtproutes ?? [], (r) => lower(r.domain)) &&
  keyUnique(d.assignments ?? [], (a) => `${a.kind}:${lower(a.address)}`) &&
  keyUnique(d.virtualdomains ?? [], (v) => lower(v.match));

describe('mergeLayers properties', () => {
  it('gives back a single layer, minus its remove, when its keys are unique', () => {
    fc.assert(
      fc.property(layerArb(true).filter(isNormal), (doc) => {
        expect(mergeLayers([{ source: 'only', document: doc }]).document).toEqual(doc);
        expect(mergeLayers([{ source: 'only', document: { ...doc, remove: {} } }]).document).toEqual(doc);
      }),
    );
  });

  it('renders a single layer as the layer itself renders', () => {
    fc.assert(
      fc.property(layerArb(true), (doc) => {
        // Alias files need their virtual domains; the keyed merge of aliases is covered above.
        const rest = { ...doc };
        delete rest.aliases;
        expect(renderDocument(mergeLayers([{ source: 'only', document: rest }]).document)).toEqual(renderDocument(rest));
      }),
    );
  });

  it('is associative for layers without remove or null', () => {
    fc.assert(
      fc.property(layerArb(false), layerArb(false), layerArb(false), (a, b, c) => {
        const ab = merge(a, b).document;
        const bc = merge(b, c).document;
        expect(merge(ab, c).document).toEqual(merge(a, bc).document);
        expect(merge(a, b, c).document).toEqual(merge(ab, c).document);
      }),
    );
  });

  it('always gives a document that the schema accepts', () => {
    fc.assert(
      fc.property(fc.array(layerArb(true), { maxLength: 4 }), (docs) => {
        expect(HostDocumentSchema.safeParse(merge(...docs).document).success).toBe(true);
      }),
    );
  });

  it('names the origin of every scalar, list and entry of the result', () => {
    fc.assert(
      fc.property(fc.array(layerArb(true), { maxLength: 4 }), (docs) => {
        const { document, origin } = merge(...docs);
        const paths = Object.entries(document).flatMap(([f, v]) => [f, ...(Array.isArray(v) ? v.map((_e, i) => `${f}[${i}]`) : [])]);
        expect(Object.keys(origin).sort()).toEqual(paths.sort());
      }),
    );
  });
});

/** The removal of every entry that `add` names, by key: what takes back an add of new entries. */
function removalFor(add: ChangeAdd): RemoveSpec {
  const out: RemoveSpec = {};
  for (const field of LIST_FIELDS) if (add[field]) out[field] = [...add[field]];
  if (add.aliases) out.aliases = add.aliases.map(({ name, domain }) => (domain === undefined ? { name } : { name, domain }));
  if (add.assignments) out.assignments = add.assignments.map(({ kind, address }) => ({ kind, address }));
  if (add.virtualdomains) out.virtualdomains = add.virtualdomains.map(({ match }) => ({ match }));
  if (add.smtproutes) out.smtproutes = add.smtproutes.map(({ domain }) => ({ domain }));
  return out;
}

describe('applyChangeToLayer properties', () => {
  const fields = ['locals', 'rcpthosts', 'aliases', 'smtproutes', 'assignments', 'virtualdomains'] as const;
  const keyOf: Record<(typeof fields)[number], (e: never) => string> = {
    locals: lower,
    rcpthosts: lower,
    aliases: (a: Alias) => `${lower(a.name)}@${lower(a.domain ?? '')}:${a.domain === undefined}`,
    smtproutes: (r: { domain: string }) => lower(r.domain),
    assignments: (a: Assignment) => `${a.kind}:${lower(a.address)}`,
    virtualdomains: (v: { match: string }) => lower(v.match),
  };

  it('takes back an add with the remove of its keys, for a document that had none of them', () => {
    // Managed lists only: adding to an absent or null field starts managing it, and a remove leaves [] there.
    const managedDoc = fc.tuple(scalarsArb(true), listsArb(false)).map(([s, l]) => ({ ...s, ...Object.fromEntries(fields.map((f) => [f, l[f] ?? []])) }) as HostDocument);
    fc.assert(
      fc.property(managedDoc.filter(isNormal), listsArb(false), (doc, add) => {
        const fresh = Object.fromEntries(
          fields.map((f) => {
            const taken = new Set((doc[f] as unknown[]).map((e) => keyOf[f](e as never)));
            return [f, ((add[f] ?? []) as unknown[]).filter((e) => !taken.has(keyOf[f](e as never)))];
          }),
        );
        const change = ChangeSchema.parse({ add: fresh });
        const added = applyChangeToLayer(doc, change, []);
        expect(applyChangeToLayer(added, { remove: removalFor(change.add ?? {}) }, [])).toEqual(doc);
      }),
    );
  });
});
