import { GENERATED_BY, postStepFor, postStepsFor } from './post-steps';

describe('postStepsFor (QMAIL.md §5)', () => {
  it('sends a HUP for locals and virtualdomains', () => {
    expect(postStepsFor(['control/locals'])).toEqual(['hup']);
    expect(postStepsFor(['control/virtualdomains'])).toEqual(['hup']);
  });

  it.each([
    'control/me',
    'control/percenthack',
    'control/concurrencylocal',
    'control/concurrencyremote',
    'control/queuelifetime',
    'control/bouncefrom',
    'control/bouncehost',
    'control/doublebouncehost',
    'control/doublebounceto',
    'control/envnoathost',
    'control/defaultdelivery',
  ])('restarts qmail-send for %s, which a HUP does not reread', (path) => {
    expect(postStepsFor([path])).toEqual(['restart']);
  });

  it('runs qmail-newmrh for morercpthosts and qmail-newu for users/assign', () => {
    expect(postStepsFor(['control/morercpthosts'])).toEqual(['qmail-newmrh']);
    expect(postStepsFor(['users/assign'])).toEqual(['qmail-newu']);
  });

  it.each([
    'control/rcpthosts',
    'control/badmailfrom',
    'control/databytes',
    'control/smtpgreeting',
    'control/helohost',
    'control/smtproutes',
    'control/defaultdomain',
    'alias/.qmail-sales',
    'control/morercpthosts.cdb',
    'users/cdb',
  ])('needs nothing for %s, which is read afresh', (path) => {
    expect(postStepsFor([path])).toEqual([]);
  });

  it('never sends a HUP together with a restart', () => {
    expect(postStepsFor(['control/locals', 'control/me'])).toEqual(['restart']);
    expect(postStepsFor(['control/me', 'control/locals'])).toEqual(['restart']);
  });

  it('builds the cdbs first, then tells qmail-send, each step once', () => {
    expect(
      postStepsFor(['control/locals', 'users/assign', 'control/morercpthosts', 'control/locals', 'users/assign']),
    ).toEqual(['qmail-newmrh', 'qmail-newu', 'hup']);
    expect(postStepsFor(['control/queuelifetime', 'control/morercpthosts', 'control/me'])).toEqual(['qmail-newmrh', 'restart']);
  });

  it('does not run qmail-newmrh when morercpthosts was removed, since it exits 111 without it', () => {
    expect(postStepsFor(['control/morercpthosts', 'control/locals'], ['control/morercpthosts'])).toEqual(['hup']);
    expect(postStepsFor(['users/assign'], ['users/assign'])).toEqual([]);
  });

  it('needs nothing when nothing changed', () => {
    expect(postStepsFor([])).toEqual([]);
  });

  it('knows the single step for a path', () => {
    expect(postStepFor('control/locals')).toBe('hup');
    expect(postStepFor('control/rcpthosts')).toBeNull();
  });
});

describe('GENERATED_BY', () => {
  it('names the cdbs that post-steps build from managed sources', () => {
    expect(GENERATED_BY).toEqual({
      'control/morercpthosts.cdb': { source: 'control/morercpthosts', step: 'qmail-newmrh' },
      'users/cdb': { source: 'users/assign', step: 'qmail-newu' },
    });
  });
});
