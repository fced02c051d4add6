import type { PostStep } from '@qfleet/protocol';
import { runQmailProgram } from './qmail-program';
import { noServiceBackend, type ServiceBackend } from './service-backend';

/** Runs one post-step; throws an Error naming the step and the cause when it fails. */
export interface PostStepRunner {
  run(step: PostStep): Promise<'ran' | 'skipped'>;
}

export interface PostStepRunnerOptions {
  qmailHome: string;
  service?: ServiceBackend;
  log: (line: string) => void;
}

export function createPostStepRunner({ qmailHome, service = noServiceBackend, log }: PostStepRunnerOptions): PostStepRunner {
  return {
    async run(step) {
      if (step === 'qmail-newu' || step === 'qmail-newmrh') {
        const started = Date.now();
        await runQmailProgram(qmailHome, step);
        log(`post-step ${step} ran (${Date.now() - started} ms)`);
        return 'ran';
      }
      // HUP/restart: skipped with no backend, or when qmail-send is not running (DESIGN.md, Contract).
      if (service === noServiceBackend) {
        log(`post-step ${step} skipped: no service backend configured`);
        return 'skipped';
      }
      if ((await service.isRunning()) === false) {
        log(`post-step ${step} skipped: qmail-send is not running (${service.name})`);
        return 'skipped';
      }
      try {
        await service.signal(step);
      } catch (err) {
        throw new Error(`${step} through ${service.name} failed: ${(err as Error).message}`);
      }
      log(`post-step ${step} sent through ${service.name}`);
      return 'ran';
    },
  };
}
