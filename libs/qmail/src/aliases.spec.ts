import type { HostDocument } from '@qfleet/protocol';
import { aliasFileName, aliasPaths, renderAliasFile, validateAliases } from './aliases';
import { findForwardingLoops } from './alias-loops';
import { renderDocument } from './render';

const vd: HostDocument = {
  locals: ['mail.example.com'],
  virtualdomains: [
    { match: 'example.com', prefix: 'example' },
    { match: 'ex.org', prefix: 'Ex.Org' },
    { match: 'plain.example', prefix: '' },
  ],
};
const fwd = (value: string) => ({ kind: 'forward' as const, value });

describe('aliasFileName', () => {
  it.each([
    [{ name: 'postmaster' }, '.qmail-postmaster'],
    [{ name: 'John.Doe' }, '.qmail-john:doe'],
    [{ name: 'default' }, '.qmail-default'],
    [{ name: 'sales', domain: 'Example.com' }, '.qmail-example-sales'],
    [{ name: 'default', domain: 'example.com' }, '.qmail-example-default'],
    [{ name: 'a.b', domain: 'ex.org' }, '.qmail-ex:org-a:b'],
  ])('%j → %s', (alias, name) => expect(aliasFileName(alias, vd)).toBe(name));

  it('refuses a domain without a virtual prefix', () => {
    expect(() => aliasFileName({ name: 'x', domain: 'plain.example' }, vd)).toThrow('plain.example has no virtualdomains entry with a prefix');
  });
});

describe('renderAliasFile', () => {
  it('renders the .qmail file and the autoreply data beside it, mode 0644', () => {
    const autoreply = { subject: 'Away', body: 'Gone.', periodSec: 60 };
    expect(renderAliasFile({ name: 'sales', domain: 'example.com', destinations: [fwd('a@b.example'), { kind: 'autoreply', autoreply }] }, vd)).toEqual([
      { path: 'alias/.qmail-example-sales', content: '&a@b.example\n|qfleet/bin/qfleet-autoreply qfleet/example-sales.autoreply\n', mode: 0o644 },
      { path: 'alias/qfleet/example-sales.autoreply', content: '{\n  "subject": "Away",\n  "body": "Gone.",\n  "periodSec": 60\n}\n', mode: 0o644 },
    ]);
  });

  it('names the alias when its domain has no prefix', () => {
    expect(() => renderDocument({ ...vd, aliases: [{ name: 'x', domain: 'nowhere.example', destinations: [fwd('a@b.example')] }] })).toThrow('aliases[0].domain');
  });
});

describe('aliasPaths', () => {
  it('lists the alias files of a rendered set, data files included', () => {
    const rendered = renderDocument({
      ...vd,
      aliases: [
        { name: 'postmaster', destinations: [fwd('root@example.com')] },
        { name: 'away', destinations: [{ kind: 'autoreply', autoreply: { subject: 's', body: 'b', periodSec: 1 } }] },
      ],
    });
    expect(aliasPaths(rendered)).toEqual(['alias/.qmail-away', 'alias/.qmail-postmaster', 'alias/qfleet/away.autoreply']);
  });

  it('has nothing to list for aliases: null; the controller diffs against the previous revision', () => {
    expect(aliasPaths(renderDocument({ aliases: null }))).toEqual([]);
  });
});

describe('validateAliases', () => {
  it('accepts a document of LWQ aliases', () => {
    expect(validateAliases({ aliases: [{ name: 'postmaster', destinations: [fwd('dave@example.com')] }, { name: 'default', destinations: [{ kind: 'maildir', value: './Maildir/' }] }] })).toEqual([]);
  });

  it('names duplicates, unsafe names, missing prefixes and bad destinations', () => {
    const errors = validateAliases({
      ...vd,
      aliases: [
        { name: 'sales', domain: 'example.com', destinations: [fwd('a@b.example')] },
        { name: 'example-sales', destinations: [fwd('a@b.example')] },
        { name: '../etc', destinations: [fwd('a@b.example')] },
        { name: 'x', domain: 'plain.example', destinations: [fwd('a@b.example')] },
        { name: 'y', destinations: [fwd('nobody'), { kind: 'discard' }] },
        { name: 'z', destinations: [{ kind: 'autoreply', autoreply: { subject: 's', body: 'b', periodSec: 1 } }, { kind: 'autoreply', autoreply: { subject: 't', body: 'b', periodSec: 1 } }] },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'aliases[1].name',
      'aliases[2].name',
      'aliases[3].domain',
      'aliases[4].destinations[0].value',
      'aliases[4].destinations',
      'aliases[5].destinations',
    ]);
    expect(errors[0]?.message).toBe('uses the same file as aliases[0] (.qmail-example-sales)');
  });
});

describe('findForwardingLoops', () => {
  it('reports a loop between local aliases, named from its first alias', () => {
    expect(
      findForwardingLoops({
        locals: ['example.com'],
        aliases: [
          { name: 'info', destinations: [fwd('someone@elsewhere.example')] },
          { name: 'sales', destinations: [fwd('team@example.com')] },
          { name: 'team', destinations: [fwd('joe@elsewhere.example'), fwd('sales@EXAMPLE.com')] },
        ],
      }),
    ).toEqual({ errors: [{ path: 'aliases[1]', message: 'forwarding loop: sales → team → sales' }], warnings: [] });
  });

  it('reports an alias that forwards to itself', () => {
    expect(findForwardingLoops({ locals: ['example.com'], aliases: [{ name: 'me', destinations: [fwd('me@example.com')] }] }).errors).toEqual([
      { path: 'aliases[0]', message: 'forwarding loop: me → me' },
    ]);
  });

  it('follows virtual domains to their prefixed aliases and default catches unknown names', () => {
    const errors = findForwardingLoops({
      ...vd,
      aliases: [
        { name: 'sales', domain: 'example.com', destinations: [fwd('nobody@example.com')] },
        { name: 'default', domain: 'example.com', destinations: [fwd('sales@example.com')] },
      ],
    });
    expect(errors).toEqual({ errors: [{ path: 'aliases[0]', message: 'forwarding loop: sales@example.com → default@example.com → sales@example.com' }], warnings: [] });
  });

  it('sees no loop through a domain that is neither local nor virtual, or a local part that users/assign takes', () => {
    expect(findForwardingLoops({ locals: ['example.com'], aliases: [{ name: 'a', destinations: [fwd('a@other.example')] }] })).toEqual({ errors: [], warnings: [] });
    expect(
      findForwardingLoops({
        locals: ['example.com'],
        assignments: [{ kind: 'exact', address: 'a', user: 'a', uid: 1000, gid: 1000, home: '/home/a' }],
        aliases: [{ name: 'a', destinations: [fwd('a@example.com')] }],
      }).errors,
    ).toEqual([]);
  });

  it('only warns when the catch-all takes a plain local name, which a passwd account would take first', () => {
    const r = findForwardingLoops({ locals: ['example.com'], aliases: [{ name: 'default', destinations: [fwd('dave@example.com')] }] });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['forwarding loop: default → default (unless a system account takes a name a default alias catches)']);
  });
});
