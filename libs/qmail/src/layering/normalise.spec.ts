import type { Layer } from './schema';
import { normaliseLayer } from './normalise';
import { renderDocument } from '../render';

describe('normaliseLayer (domains stored lowercase)', () => {
  const doc: Layer = {
    me: 'MX.Example.COM',
    locals: ['Example.COM', 'example.com'],
    rcpthosts: ['.Example.COM'],
    badmailfrom: ['Spam@Bad.Example'],
    virtualdomains: [{ match: 'Virt.Example', prefix: 'vd' }],
    smtproutes: [{ domain: 'Relay.Example', relay: 'SMART.Example', port: 25 }],
    aliases: [{ name: 'Sales', domain: 'Virt.Example', destinations: [{ kind: 'forward', value: 'Bob@Example.COM' }] }],
    assignments: [{ kind: 'exact', address: 'Joe', user: 'joe', uid: 1000, gid: 1000, home: '/home/joe' }],
    remove: { locals: ['Old.Example'], smtproutes: [{ domain: 'Gone.Example' }] },
  };

  it('lowercases what qmail compares without case, and nothing else', () => {
    const n = normaliseLayer(doc);
    expect(n.locals).toEqual(['example.com', 'example.com']);
    expect(n.rcpthosts).toEqual(['.example.com']);
    expect(n.badmailfrom).toEqual(['spam@bad.example']);
    expect(n.virtualdomains).toEqual([{ match: 'virt.example', prefix: 'vd' }]);
    expect(n.smtproutes).toEqual([{ domain: 'relay.example', relay: 'smart.example', port: 25 }]);
    expect(n.aliases?.[0]).toMatchObject({ name: 'Sales', domain: 'virt.example', destinations: [{ kind: 'forward', value: 'Bob@Example.COM' }] });
    // Not a domain list: a host name and an assignment's address keep their spelling.
    expect(n.me).toBe('MX.Example.COM');
    expect(n.assignments?.[0].address).toBe('Joe');
    expect(n.remove).toEqual({ locals: ['old.example'], smtproutes: [{ domain: 'gone.example' }] });
  });

  it('renders the same files, and is idempotent', () => {
    const { remove: _r, ...entries } = doc;
    const { remove: _n, ...normalised } = normaliseLayer(doc);
    expect(renderDocument(normalised)).toEqual(renderDocument(entries));
    expect(normaliseLayer(normaliseLayer(doc))).toEqual(normaliseLayer(doc));
  });

  it('keeps null and absent apart', () => {
    expect(normaliseLayer({ locals: null, rcpthosts: [] })).toEqual({ locals: null, rcpthosts: [] });
  });
});
