import { loadSettings } from './settings';

describe('privileged-change settings', () => {
  it('lets only admins by default', () => {
    expect(loadSettings({}).privileged).toEqual({ programAllowlist: [], operatorAssignments: false });
  });

  it('reads the program allowlist and the operator assignments switch', () => {
    const s = loadSettings({ QFLEET_PROGRAM_ALLOWLIST: '/usr/bin/procmail, /usr/local/bin/spamc,', QFLEET_OPERATOR_ASSIGNMENTS: '1' });
    expect(s.privileged).toEqual({ programAllowlist: ['/usr/bin/procmail', '/usr/local/bin/spamc'], operatorAssignments: true });
  });

  it.each(['procmail', '/usr/bin/../bin/sh', '/usr/bin/pro mail', '/bin/sh;id'])('stops at start on the allowlist entry %j', (entry) => {
    expect(() => loadSettings({ QFLEET_PROGRAM_ALLOWLIST: entry })).toThrow(/QFLEET_PROGRAM_ALLOWLIST/);
  });

  it('stops at start on an unclear switch', () => {
    expect(() => loadSettings({ QFLEET_OPERATOR_ASSIGNMENTS: 'yes' })).toThrow(/QFLEET_OPERATOR_ASSIGNMENTS/);
  });
});
