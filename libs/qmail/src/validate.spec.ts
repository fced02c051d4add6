import type { HostDocument } from '@qfleet/protocol';
import { validateDocument } from './validate';

const errorsOf = (doc: HostDocument) => validateDocument(doc).errors;
const warningsOf = (doc: HostDocument) => validateDocument(doc).warnings;
const paths = (problems: { path: string }[]) => problems.map((p) => p.path);

describe('validateDocument', () => {
  it('accepts an LWQ-style document without problems', () => {
    expect(
      validateDocument({
        me: 'mail.example.com',
        locals: ['localhost', 'mail.example.com', 'example.com'],
        rcpthosts: ['localhost', 'mail.example.com', 'example.com'],
        databytes: 10_000_000,
        concurrencyremote: 255,
        badmailfrom: ['spammer@bad.example', '@worse.example'],
        helohost: '[192.0.2.1]',
        bouncefrom: 'MAILER-DAEMON',
        doublebounceto: 'postmaster@example.com',
        smtpgreeting: 'mail.example.com NO UCE',
      }),
    ).toEqual({ errors: [], warnings: [] });
  });

  it('accepts an empty document', () => {
    expect(validateDocument({})).toEqual({ errors: [], warnings: [] });
  });

  it('names each invalid domain by its index', () => {
    expect(errorsOf({ locals: ['example.com', 'bad domain', 'a..b'] })).toEqual([
      { path: 'locals[1]', message: 'is not a valid domain name' },
      { path: 'locals[2]', message: 'is not a valid domain name' },
    ]);
    expect(paths(errorsOf({ percenthack: ['.example.com'] }))).toEqual(['percenthack[0]']);
  });

  it('lets rcpthosts and morercpthosts match subdomains with a leading dot, but not locals', () => {
    expect(errorsOf({ rcpthosts: ['.example.com'], morercpthosts: ['.example.net'] })).toEqual([]);
    expect(paths(errorsOf({ locals: ['.example.com'] }))).toEqual(['locals[0]']);
    expect(paths(errorsOf({ rcpthosts: ['example.com', '_x.example'] }))).toEqual(['rcpthosts[1]']);
  });

  it.each(['me', 'helohost', 'localiphost', 'bouncehost', 'doublebouncehost', 'defaultdomain', 'defaulthost', 'plusdomain', 'idhost', 'envnoathost'] as const)(
    'refuses a %s that is not a host name',
    (field) => {
      expect(errorsOf({ [field]: 'not a host' })).toEqual([{ path: field, message: 'is not a valid host name or [IPv4] literal' }]);
      expect(errorsOf({ [field]: 'mail.example.com' })).toEqual([]);
    },
  );

  it('accepts any one-line smtpgreeting', () => {
    expect(errorsOf({ smtpgreeting: 'Welcome! (no UCE)' })).toEqual([]);
  });

  it('refuses a bouncefrom that is not a local part and a doublebounceto with spaces', () => {
    expect(paths(errorsOf({ bouncefrom: 'bounces@example.com' }))).toEqual(['bouncefrom']);
    expect(paths(errorsOf({ doublebounceto: 'post master' }))).toEqual(['doublebounceto']);
  });

  it('refuses badmailfrom entries that are not user@domain or @domain', () => {
    expect(
      paths(errorsOf({ badmailfrom: ['spammer@bad.example', '@bad.example', 'bad.example', 'user@', 'a b@bad.example', '#x@bad.example'] })),
    ).toEqual(['badmailfrom[2]', 'badmailfrom[3]', 'badmailfrom[4]', 'badmailfrom[5]']);
  });

  it('refuses concurrency above the conf-spawn cap of 255', () => {
    expect(errorsOf({ concurrencylocal: 256, concurrencyremote: 1000 })).toEqual([
      { path: 'concurrencylocal', message: 'is capped by conf-spawn, at most 255' },
      { path: 'concurrencyremote', message: 'is capped by conf-spawn, at most 255' },
    ]);
    expect(errorsOf({ concurrencylocal: 255, concurrencyremote: 0, queuelifetime: 10_000_000 })).toEqual([]);
  });

  it('refuses to remove rcpthosts unless the document asks for an open relay', () => {
    expect(errorsOf({ rcpthosts: null })).toEqual([
      { path: 'rcpthosts', message: 'removing rcpthosts makes an open relay: set openRelay: true' },
    ]);
    expect(errorsOf({ rcpthosts: null, openRelay: false })).toHaveLength(1);
  });

  it('warns that an open relay stops LWQ smtpd from starting', () => {
    expect(validateDocument({ rcpthosts: null, openRelay: true })).toEqual({
      errors: [],
      warnings: [{ path: 'rcpthosts', message: "open relay: LWQ's smtpd run script refuses to start without control/rcpthosts" }],
    });
  });

  it('warns that morercpthosts is unused without rcpthosts', () => {
    expect(warningsOf({ rcpthosts: null, openRelay: true, morercpthosts: ['example.com'] })).toContainEqual({
      path: 'morercpthosts',
      message: 'is used only if rcpthosts exists',
    });
    expect(paths(warningsOf({ rcpthosts: null, openRelay: true, morercpthosts: null }))).toEqual(['rcpthosts']);
  });

  it('warns about a local domain that rcpthosts and morercpthosts do not accept', () => {
    expect(warningsOf({ locals: ['example.com', 'example.net'], rcpthosts: ['example.com'] })).toEqual([
      { path: 'locals[1]', message: 'example.net is not in rcpthosts or morercpthosts, so qmail-smtpd refuses mail for it' },
    ]);
  });

  it('matches local domains as qmail-smtpd does: .dom covers subdomains, morercpthosts counts', () => {
    expect(warningsOf({ locals: ['mail.example.com', 'EXAMPLE.org'], rcpthosts: ['.example.com'], morercpthosts: ['example.org'] })).toEqual([]);
    expect(paths(warningsOf({ locals: ['example.com'], rcpthosts: ['.example.com'] }))).toEqual(['locals[0]']);
  });

  it('does not guess about an rcpthosts it does not manage', () => {
    expect(warningsOf({ locals: ['example.com'] })).toEqual([]);
    expect(warningsOf({ locals: ['example.com'], morercpthosts: ['example.net'] })).toEqual([]);
  });

  it('warns about a duplicate entry, naming the second', () => {
    expect(warningsOf({ badmailfrom: ['@a.example', '@b.example', '@A.example'] })).toEqual([
      { path: 'badmailfrom[2]', message: 'duplicates badmailfrom[0]; dropped when rendered' },
    ]);
    expect(paths(warningsOf({ locals: ['a.example', 'a.example'], rcpthosts: ['a.example'] }))).toEqual(['locals[1]']);
  });

  it('warns about a virtual domain that rcpthosts does not accept', () => {
    expect(
      warningsOf({
        rcpthosts: ['example.com'],
        morercpthosts: ['.example.net'],
        virtualdomains: [
          { match: 'example.com', prefix: 'a' },
          { match: 'b.example.net', prefix: 'b' },
          { match: 'joe@example.org', prefix: 'joe' },
          { match: 'nowhere.example', prefix: '' },
        ],
      }),
    ).toEqual([{ path: 'virtualdomains[2].match', message: 'example.org is not in rcpthosts or morercpthosts, so qmail-smtpd refuses mail for it' }]);
  });

  it('collects the errors of every file kind, by path', () => {
    expect(
      paths(
        errorsOf({
          locals: ['example.com'],
          virtualdomains: [{ match: 'bad domain', prefix: 'x' }],
          smtproutes: [{ domain: 'a.example', relay: '', port: 25 }],
          assignments: [{ kind: 'exact', address: 'a', user: 'a', uid: 1, gid: 1, home: 'relative' }],
          aliases: [{ name: 'loop', destinations: [{ kind: 'forward', value: 'loop@example.com' }] }],
        }),
      ),
    ).toEqual(['virtualdomains[0].match', 'smtproutes[0].port', 'assignments[0].home', 'aliases[0]']);
  });
});

/**
 * Issue 10 #7: a document of 10,000 entries must validate in well under a second (timed by
 * `npm run bench:validate`, not here). These check that the indexed lookups answer as the
 * per-entry scans did, at that size, and that the output itself stays bounded.
 */
describe('validateDocument at 10,000 entries', () => {
  const n = 10_000;
  const domain = (i: number) => `d${i}.example.com`;

  it('finds exactly the locals that rcpthosts does not accept', () => {
    const doc: HostDocument = {
      locals: Array.from({ length: n }, (_, i) => domain(i)),
      // every domain but d7…, and the subdomains of one through a leading dot
      rcpthosts: [...Array.from({ length: n }, (_, i) => domain(i)).filter((d) => !d.startsWith('d7')), '.d7.example.com'],
    };
    expect(paths(warningsOf(doc))).toEqual(Array.from({ length: n }, (_, i) => i).filter((i) => String(i).startsWith('7')).map((i) => `locals[${i}]`));
  });

  it('resolves forwards through virtual domains and assignments as qmail would', () => {
    const doc: HostDocument = {
      locals: ['here.example'],
      virtualdomains: Array.from({ length: n }, (_, i) => ({ match: domain(i), prefix: `p${i}` })),
      // users/assign takes p5-…, so the loop through alias 5 does not exist
      assignments: [{ kind: 'prefix', address: 'p5-', user: 'u', uid: 1, gid: 1, home: '/home/u' }],
      aliases: Array.from({ length: n }, (_, i) => ({ name: 'a', domain: domain(i), destinations: [{ kind: 'forward' as const, value: `a@${domain(i)}` }] })),
    };
    const { errors } = validateDocument(doc);
    expect(errors).toHaveLength(101);
    expect(errors[0]).toEqual({ path: 'aliases[0]', message: `forwarding loop: a@${domain(0)} → a@${domain(0)}` });
    expect(errors.some((e) => e.path === 'aliases[5]')).toBe(false);
    expect(errors[100]).toEqual({ path: 'aliases', message: `${n - 1 - 100} more forwarding loops not listed` });
  });

  it('lists 200,000 problems without overflowing the stack', () => {
    // Two errors each (match and prefix): 200,000 arguments overflowed errors.push(...).
    const virtualdomains = Array.from({ length: 100_000 }, (_, i) => ({ match: `bad domain ${i}`, prefix: 'p p' }));
    expect(errorsOf({ virtualdomains })).toHaveLength(200_000);
  });

  // Before, 10,000 loops back to the first alias made 10,000 messages of up to 10,000 names each.
  it('spells out at most 100 loops of at most 20 names', () => {
    const aliases = Array.from({ length: n }, (_, i) => ({
      name: `a${i}`,
      destinations: [{ kind: 'forward' as const, value: `a${i + 1}@here.example` }, { kind: 'forward' as const, value: 'a0@here.example' }],
    }));
    const { errors } = validateDocument({ locals: ['here.example'], aliases });
    expect(errors.length).toBe(101);
    expect(Math.max(...errors.map((e) => e.message.split(' → ').length))).toBeLessThanOrEqual(21);
    expect(errors.find((e) => e.message.includes('aliases) …'))?.message).toMatch(/^forwarding loop: a0 → a1 → .* → … \(\d+ aliases\) … → .* → a0$/);
  });
});
