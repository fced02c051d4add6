export { createPostStepRunner, type PostStepRunner, type PostStepRunnerOptions } from './post-step-runner';
export { noServiceBackend, type ServiceBackend } from './service-backend';
export { daemontoolsBackend } from './daemontools-backend';
