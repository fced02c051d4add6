import fc from 'fast-check';
import { UnrenderableValue } from './control';
import { lookupSmtpRoute, parseSmtpRoutes, renderSmtpRoutes, validateSmtpRoutes } from './smtproutes';

describe('renderSmtpRoutes', () => {
  it('writes domain:relay[:port], the default route and direct delivery', () => {
    expect(
      renderSmtpRoutes([
        { domain: '', relay: 'smarthost.example.net' },
        { domain: '.AF.mil', relay: '' },
        { domain: 'inside.af.mil', relay: 'Firewall.af.mil', port: 26 },
        { domain: 'lab.example', relay: '[192.0.2.7]' },
      ]),
    ).toBe(':smarthost.example.net\n.af.mil:\ninside.af.mil:firewall.af.mil:26\nlab.example:[192.0.2.7]\n');
  });

  it('keeps the first of two equal domains', () => {
    expect(renderSmtpRoutes([{ domain: 'a.example', relay: 'x.example' }, { domain: 'A.EXAMPLE', relay: 'y.example' }])).toBe('a.example:x.example\n');
  });

  it('refuses a port without a relay and a colon in a field', () => {
    expect(() => renderSmtpRoutes([{ domain: 'a.example', relay: '', port: 26 }])).toThrow('smtproutes[0].port');
    expect(() => renderSmtpRoutes([{ domain: 'a.example', relay: 'x:26' }])).toThrow(UnrenderableValue);
  });
});

describe('parseSmtpRoutes', () => {
  it('reads the LWQ examples, skipping comments and blank lines', () => {
    const r = parseSmtpRoutes('# routes\n:smarthost.example.net\n\n.af.mil:\ninside.af.mil:firewall.af.mil:26 \n');
    expect(r.entries).toEqual([
      { domain: '', relay: 'smarthost.example.net' },
      { domain: '.af.mil', relay: '' },
      { domain: 'inside.af.mil', relay: 'firewall.af.mil', port: 26 },
    ]);
    expect(r.dropped.map((d) => d.line)).toEqual([1, 3]);
  });

  it('lets the later of two equal domains win', () => {
    expect(parseSmtpRoutes('a.example:one.example\nA.example:two.example\n').entries).toEqual([{ domain: 'a.example', relay: 'two.example' }]);
  });

  it('reads the port as scan_ulong does and refuses what cannot be a port', () => {
    expect(parseSmtpRoutes('a.example:x.example:26abc').entries).toEqual([{ domain: 'a.example', relay: 'x.example', port: 26 }]);
    expect(parseSmtpRoutes('a.example:x.example:abc').refused.map((n) => n.line)).toEqual([1]);
    expect(parseSmtpRoutes('a.example::26').refused[0]?.message).toBe('a port without a relay');
  });

  it('treats a leading blank as part of the key, which then never matches', () => {
    const r = parseSmtpRoutes(' a.example:x.example\n');
    expect(r.entries).toEqual([]);
    expect(r.dropped).toHaveLength(1);
  });
});

describe('lookupSmtpRoute', () => {
  const routes = [
    { domain: '', relay: 'smarthost.example.net' },
    { domain: '.af.mil', relay: '' },
    { domain: 'inside.af.mil', relay: 'firewall.af.mil', port: 26 },
  ];
  it('tries the host, each .suffix, then the default route; .dom does not match dom', () => {
    expect(lookupSmtpRoute(routes, 'INSIDE.af.mil')?.relay).toBe('firewall.af.mil');
    expect(lookupSmtpRoute(routes, 'a.b.af.mil')?.relay).toBe('');
    expect(lookupSmtpRoute(routes, 'af.mil')?.relay).toBe('smarthost.example.net');
  });
});

describe('validateSmtpRoutes', () => {
  it('accepts domains, .domains, the default route, hosts and addresses', () => {
    expect(
      validateSmtpRoutes({
        smtproutes: [
          { domain: '', relay: 'smarthost.example.net', port: 587 },
          { domain: '.af.mil', relay: '' },
          { domain: 'a.example', relay: '192.0.2.1' },
          { domain: 'b.example', relay: '[192.0.2.1]' },
        ],
      }),
    ).toEqual([]);
  });

  it('names bad domains, relays, ports without relay and duplicates', () => {
    const errors = validateSmtpRoutes({
      smtproutes: [
        { domain: 'bad domain', relay: '' },
        { domain: 'a.example', relay: 'not a host' },
        { domain: 'b.example', relay: '', port: 26 },
        { domain: 'A.example', relay: 'x.example' },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual(['smtproutes[0].domain', 'smtproutes[1].relay', 'smtproutes[2].port', 'smtproutes[3].domain']);
  });
});

describe('smtproutes properties', () => {
  const domain = fc.stringMatching(/^[a-z]{1,3}(\.[a-z]{1,3}){0,2}$/);
  const key = fc.oneof(domain, domain.map((d) => `.${d}`), fc.constant(''));
  const relay = fc.oneof(fc.constant(''), domain, fc.constant('[192.0.2.1]'));
  const fileLine = fc.oneof(
    fc.tuple(key, relay).map(([k, r]) => `${k}:${r}`),
    fc.tuple(key, domain, fc.integer({ min: 1, max: 65535 })).map(([k, r, p]) => `${k.toUpperCase()}:${r}:${p}  `),
    fc.constantFrom('', '# comment', 'nocolon'),
  );
  const file = fc.array(fileLine, { maxLength: 15 }).map((ls) => ls.join('\n'));

  it('rewrites a hand-made file to one that routes every host the same', () => {
    fc.assert(
      fc.property(file, fc.array(domain, { maxLength: 10 }), (content, hosts) => {
        const before = parseSmtpRoutes(content).entries;
        const after = parseSmtpRoutes(renderSmtpRoutes(before)).entries;
        for (const h of hosts) expect(lookupSmtpRoute(after, h)).toEqual(lookupSmtpRoute(before, h));
      }),
    );
  });
});
