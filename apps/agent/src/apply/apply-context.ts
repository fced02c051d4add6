import type { PostStepRunner } from '../post-steps';

export interface ApplyContext {
  qmailHome: string;
  stateDir: string;
  postSteps: PostStepRunner;
  log: (line: string) => void;
  /** QFLEET_AGENT_FAULT, for the crash tests only (see ./fault.ts) */
  fault?: string;
}
