// The one place the apply code reaches libs/qmail; switch to
// `export { isManagedPath, postStepsFor, GENERATED_BY, sha256 } from '@qfleet/qmail';`
// once the library exports them, and delete ./qmail-shim.ts.
export { isManagedPath, postStepsFor, GENERATED_BY, sha256 } from './qmail-shim';
