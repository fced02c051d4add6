import { isDomainName, isHostName, isRcptHostsEntry, rcptHostsAccept } from './names';

describe('domain and host syntax', () => {
  it.each(['example.com', 'localhost', 'xn--bcher-kva.example', 'a-b.c0', '1.2.3.4', 'EXAMPLE.com'])('accepts the domain %s', (d) => {
    expect(isDomainName(d)).toBe(true);
  });

  it.each(['', '.example.com', 'example.com.', 'a..b', '-a.example', 'a-.example', 'a_b.example', 'bücher.example', 'a b', 'x'.repeat(64) + '.example'])(
    'refuses the domain %j',
    (d) => {
      expect(isDomainName(d)).toBe(false);
    },
  );

  it('lets rcpthosts entries start with a dot for subdomains', () => {
    expect(isRcptHostsEntry('.example.com')).toBe(true);
    expect(isRcptHostsEntry('..example.com')).toBe(false);
    expect(isRcptHostsEntry('.')).toBe(false);
  });

  it('accepts an IPv4 literal as a host', () => {
    expect(isHostName('[192.0.2.1]')).toBe(true);
    expect(isHostName('[192.0.2.256]')).toBe(false);
    expect(isHostName('[::1]')).toBe(false);
    expect(isHostName('mail.example.com')).toBe(true);
  });
});

describe('rcptHostsAccept (qmail-smtpd, QMAIL.md §1)', () => {
  it('matches the whole host, case-insensitively', () => {
    expect(rcptHostsAccept('Example.COM', ['example.com'])).toBe(true);
    expect(rcptHostsAccept('example.com', ['EXAMPLE.com'])).toBe(true);
  });

  it('matches a .dom entry for subdomains only', () => {
    expect(rcptHostsAccept('mail.example.com', ['.example.com'])).toBe(true);
    expect(rcptHostsAccept('a.b.example.com', ['.example.com'])).toBe(true);
    expect(rcptHostsAccept('example.com', ['.example.com'])).toBe(false);
  });

  it('does not match a plain entry against subdomains or lookalikes', () => {
    expect(rcptHostsAccept('mail.example.com', ['example.com'])).toBe(false);
    expect(rcptHostsAccept('badexample.com', ['example.com'])).toBe(false);
  });
});
