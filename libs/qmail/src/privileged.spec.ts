import type { HostDocument, PrivilegedChange } from '@qfleet/protocol';
import { locatePrivileged, privilegedChanges, programOutsideAllowlist } from './privileged';

const joe = { kind: 'exact' as const, address: 'joe', user: 'joe', uid: 1000, gid: 100, home: '/home/joe' };

describe('privileged changes (program deliveries and assignments)', () => {
  it('lists a program destination that is new, with its path in the new document', () => {
    const after: HostDocument = {
      aliases: [
        { name: 'info', destinations: [{ kind: 'forward', value: 'a@example.com' }] },
        { name: 'bot', destinations: [{ kind: 'maildir', value: './Maildir/' }, { kind: 'program', value: '/usr/bin/bot --fast' }] },
      ],
    };
    expect(privilegedChanges({}, after)).toEqual([{ path: 'aliases[1].destinations[1]', kind: 'program', value: '/usr/bin/bot --fast' }]);
    expect(privilegedChanges(undefined, after)).toHaveLength(1);
  });

  it('does not list a program the alias already ran, wherever it now stands', () => {
    const before: HostDocument = { aliases: [{ name: 'Bot', destinations: [{ kind: 'program', value: '/usr/bin/bot' }] }] };
    const after: HostDocument = {
      aliases: [
        { name: 'x', destinations: [{ kind: 'discard' }] },
        { name: 'bot', destinations: [{ kind: 'forward', value: 'a@example.com' }, { kind: 'program', value: '/usr/bin/bot' }] },
      ],
    };
    expect(privilegedChanges(before, after)).toEqual([]);
  });

  it('lists an altered command, and the same command under another alias', () => {
    const before: HostDocument = { aliases: [{ name: 'bot', destinations: [{ kind: 'program', value: '/usr/bin/bot' }] }] };
    expect(privilegedChanges(before, { aliases: [{ name: 'bot', destinations: [{ kind: 'program', value: '/usr/bin/bot; rm -rf ~' }] }] })).toEqual([
      { path: 'aliases[0].destinations[0]', kind: 'program', value: '/usr/bin/bot; rm -rf ~' },
    ]);
    expect(privilegedChanges(before, { aliases: [{ name: 'bot', domain: 'example.com', destinations: [{ kind: 'program', value: '/usr/bin/bot' }] }] })).toHaveLength(1);
  });

  it('does not count removals, autoreplies or filters', () => {
    const before: HostDocument = { aliases: [{ name: 'bot', destinations: [{ kind: 'program', value: '/usr/bin/bot' }] }], assignments: [joe] };
    expect(privilegedChanges(before, { aliases: null, assignments: [] })).toEqual([]);
    const after: HostDocument = {
      aliases: [
        { name: 'away', destinations: [{ kind: 'autoreply', autoreply: { subject: 'Away', body: 'later', periodSec: 3600 } }] },
        { name: 'sort', destinations: [{ kind: 'filter', filter: { rules: [{ field: 'subject', contains: 'x', action: 'discard' }], otherwise: { action: 'deliver' } } }, { kind: 'forward', value: 'a@example.com' }] },
      ],
    };
    expect(privilegedChanges({}, after)).toEqual([]);
  });

  it('lists an assignment that is new or delivers differently, by key', () => {
    expect(privilegedChanges({}, { assignments: [joe] })).toEqual([{ path: 'assignments[0]', kind: 'assignment', value: '=joe joe 1000:100 /home/joe' }]);
    const before: HostDocument = { assignments: [joe] };
    expect(privilegedChanges(before, { assignments: [{ ...joe, address: 'JOE' }] })).toEqual([]);
    for (const change of [{ uid: 0 }, { gid: 0 }, { user: 'root' }, { home: '/root' }, { dash: '-' }, { ext: 'x' }]) {
      expect(privilegedChanges(before, { assignments: [{ ...joe, ...change }] })).toHaveLength(1);
    }
    expect(privilegedChanges(before, { assignments: [{ ...joe, kind: 'prefix' }] })[0]?.value).toBe('+joe joe 1000:100 /home/joe');
  });

  it('compares a duplicate key by its first entry, as render keeps the first', () => {
    const before: HostDocument = { assignments: [joe, { ...joe, uid: 5 }] };
    expect(privilegedChanges(before, { assignments: [{ ...joe, uid: 5 }] })).toHaveLength(1);
  });
});

describe('program allowlist', () => {
  const list = ['/usr/bin/procmail', '/usr/local/bin/spamc'];

  it.each(['/usr/bin/procmail', '/usr/bin/procmail -m $HOME/.procmailrc', '/usr/bin/procmail -a ${EXT} -t', '/usr/local/bin/spamc\t-u alias'])('lets %j run', (cmd) => {
    expect(programOutsideAllowlist(cmd, list)).toBeNull();
  });

  it.each([
    ['/usr/bin/procmailx', 'not on the program allowlist'],
    ['procmail', 'not on the program allowlist'],
    ['/usr/bin/../bin/procmail', 'not on the program allowlist'],
    ['"/usr/bin/procmail"', 'not on the program allowlist'],
    ['VAR=1 /usr/bin/procmail', 'not on the program allowlist'],
    ['/usr/bin/procmail;/bin/sh', 'not on the program allowlist'],
    ['/usr/bin/procmail -t; /bin/sh', 'shell syntax'],
    ['/usr/bin/procmail && id', 'shell syntax'],
    ['/usr/bin/procmail | sh', 'shell syntax'],
    ['/usr/bin/procmail $(id)', 'shell syntax'],
    ['/usr/bin/procmail `id`', 'shell syntax'],
    ['/usr/bin/procmail > /etc/x', 'shell syntax'],
    ["/usr/bin/procmail '$(id)'", 'shell syntax'],
    ['/usr/bin/procmail \\\n id', 'shell syntax'],
  ])('refuses %j', (cmd, why) => {
    expect(programOutsideAllowlist(cmd, list)).toContain(why);
  });

  it('allows nothing with an empty allowlist', () => {
    expect(programOutsideAllowlist('/usr/bin/procmail', [])).toContain('not on the program allowlist');
  });
});

describe('locating a privileged change in another document', () => {
  const effective: HostDocument = {
    aliases: [
      { name: 'fromgroup', destinations: [{ kind: 'program', value: '/usr/bin/a' }] },
      { name: 'bot', destinations: [{ kind: 'discard' }, { kind: 'program', value: '/usr/bin/b' }] },
    ],
    assignments: [joe],
  };
  const [fromGroup, bot, assignment] = privilegedChanges({}, effective) as [PrivilegedChange, PrivilegedChange, PrivilegedChange];

  it('names the entry by its key in the document the caller wrote', () => {
    const own: HostDocument = { aliases: [{ name: 'BOT', destinations: [{ kind: 'discard' }, { kind: 'program', value: '/usr/bin/b' }] }], assignments: [joe] };
    expect(locatePrivileged(bot, effective, own)).toBe('aliases[0].destinations[1]');
    expect(locatePrivileged(assignment, effective, own, 'change.add.')).toBe('change.add.assignments[0]');
  });

  it('gives null for an entry the document does not hold', () => {
    expect(locatePrivileged(fromGroup, effective, { aliases: [] })).toBeNull();
    expect(locatePrivileged(fromGroup, effective, undefined)).toBeNull();
  });
});
