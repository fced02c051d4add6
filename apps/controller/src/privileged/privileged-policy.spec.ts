import type { PrivilegedChange } from '@qfleet/protocol';
import { loadSettings } from '../settings/settings';
import { Forbidden } from '../errors/errors';
import type { Actor } from '../auth/roles';
import { PrivilegedPolicy } from './privileged-policy';

const operator: Actor = { tokenId: 't1', name: 'on call', role: 'operator' };
const admin: Actor = { tokenId: 't2', name: 'boss', role: 'admin' };
const program = (value: string): PrivilegedChange => ({ path: 'aliases[0].destinations[0]', kind: 'program', value });
const assignment: PrivilegedChange = { path: 'assignments[0]', kind: 'assignment', value: '=joe joe 1000:100 /home/joe' };

describe('PrivilegedPolicy', () => {
  const strict = new PrivilegedPolicy(loadSettings({}));
  const open = new PrivilegedPolicy(loadSettings({ QFLEET_PROGRAM_ALLOWLIST: '/usr/bin/procmail', QFLEET_OPERATOR_ASSIGNMENTS: '1' }));

  it('lets admins and the controller itself make any privileged change', () => {
    expect(strict.refused(admin, [program('/bin/sh -c id'), assignment])).toEqual([]);
    expect(strict.refused('on call (operator) [rollout x]', [program('/bin/sh -c id'), assignment])).toEqual([]);
  });

  it('refuses an operator every program and assignment by default, naming each path', () => {
    expect(strict.refused(operator, [program('/usr/bin/procmail'), assignment]).map((p) => p.path)).toEqual(['aliases[0].destinations[0]', 'assignments[0]']);
    expect(() => strict.check(operator, [assignment], 'group web')).toThrow(Forbidden);
    expect(() => strict.check(operator, [assignment], 'group web')).toThrow(/^group web: privileged change refused: assignments\[0\]: assignments decide/);
  });

  it('lets an operator run an allowlisted program and write assignments when the settings say so', () => {
    expect(open.refused(operator, [program('/usr/bin/procmail -t'), assignment])).toEqual([]);
    expect(open.refused(operator, [program('/usr/bin/procmail -t | sh')])[0]?.message).toContain('shell syntax');
  });
});
