export { appliesSettled, applyRevision } from './apply-revision';
export { recoverJournal } from './recover-journal';
export { readApplied, hashManagedFiles, type AppliedState } from './applied-state';
export type { ApplyContext } from './apply-context';
