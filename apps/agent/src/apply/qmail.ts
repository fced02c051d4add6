// The one place the apply code reaches libs/qmail: the managed namespace, which post-steps a
// change needs (QMAIL.md §5) and which files those steps generate.
export { isManagedPath, postStepsFor, GENERATED_BY, sha256 } from '@qfleet/qmail';
