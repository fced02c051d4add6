import { DriftFilesQuerySchema, DriftFilesViewSchema, MAX_DRIFT_FILES_PER_REQUEST } from './drift';
import { fieldProblems } from './validation';

describe('DriftFilesQuerySchema', () => {
  const problems = (q: unknown) => {
    const r = DriftFilesQuerySchema.safeParse(q);
    return r.success ? [] : fieldProblems(r.error);
  };

  it('takes no path, one path or several, always as a list', () => {
    expect(DriftFilesQuerySchema.parse({})).toEqual({ path: undefined });
    expect(DriftFilesQuerySchema.parse({ path: 'control/locals' })).toEqual({ path: ['control/locals'] });
    expect(DriftFilesQuerySchema.parse({ path: ['control/locals', 'alias/.qmail-root'] })).toEqual({ path: ['control/locals', 'alias/.qmail-root'] });
  });

  it('refuses a path out of the qmail home, too many paths and unknown parameters, by their field', () => {
    expect(problems({ path: '../../etc/passwd' })).toEqual([expect.objectContaining({ path: 'path' })]);
    expect(problems({ path: '/etc/passwd' })).toEqual([expect.objectContaining({ path: 'path' })]);
    expect(problems({ path: Array.from({ length: MAX_DRIFT_FILES_PER_REQUEST + 1 }, (_, i) => `control/f${i}`) })).toEqual([expect.objectContaining({ path: 'path' })]);
    expect(problems({ paths: 'control/locals' })).toEqual([{ path: 'paths', message: 'unknown field' }]);
  });
});

describe('DriftFilesViewSchema', () => {
  it('holds an unread file without content or diff, and refuses a path out of the home', () => {
    const view = { desiredRevision: 2, appliedRevision: 2, more: 0, files: [{ path: 'control/rcpthosts', desired: 'a.example\n', onHost: null, skipped: 'a symbolic link to /etc/shadow' }] };
    expect(DriftFilesViewSchema.parse(view)).toEqual(view);
    expect(DriftFilesViewSchema.safeParse({ ...view, files: [{ ...view.files[0], path: '../x' }] }).success).toBe(false);
  });
});
