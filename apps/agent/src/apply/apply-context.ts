import type { PostStepRunner } from '../post-steps';

export interface ApplyContext {
  qmailHome: string;
  stateDir: string;
  postSteps: PostStepRunner;
  log: (line: string) => void;
  /** the passwd file qmail-getpw reads: alias files a user's name takes are logged as never read */
  passwdFile?: string;
  /** QFLEET_AGENT_FAULT, for the crash tests only (see ./fault.ts) */
  fault?: string;
}
