/**
 * How the agent reaches qmail-send for a HUP, a restart, a stop/start around a queue edit or an
 * ALRM (DESIGN.md "The agent: applying safely": fixed commands only, the controller cannot make
 * the agent run anything else).
 */
export interface ServiceBackend {
  /** shown in logs; 'none' means no backend is configured */
  name: string;
  /** whether qmail-send runs; null when the backend cannot tell */
  isRunning(): Promise<boolean | null>;
  /** HUP rereads locals and virtualdomains; restart is needed for the rest (QMAIL.md §5) */
  signal(kind: 'hup' | 'restart'): Promise<void>;
  /**
   * stop: TERM, and no restart until `start` (qmail-send finishes the deliveries in progress first,
   * which can take over a minute, QMAIL.md §5); start: run it again; alrm: retry the whole queue now.
   * Returns once the request is handed over, not once it took effect: see `waitFor`.
   */
  control(action: 'stop' | 'start' | 'alrm'): Promise<void>;
  /** Resolves once qmail-send is in this state; rejects after timeoutMs, saying what it saw last. */
  waitFor(state: 'up' | 'down', timeoutMs: number): Promise<void>;
}

const none = async (): Promise<never> => {
  throw new Error('no service backend is configured');
};

/** With no backend configured, HUP and restart are skipped and reported in `skipped` (DESIGN.md, Contract). */
export const noServiceBackend: ServiceBackend = {
  name: 'none',
  isRunning: async () => null,
  signal: none,
  control: none,
  waitFor: none,
};
