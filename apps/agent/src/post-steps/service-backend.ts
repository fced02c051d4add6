import type { ServiceState } from '@qfleet/protocol';

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
  /**
   * Whether it runs, since when and its pid, with the backend's own words in `detail`
   * (running null: the backend cannot tell). Optional so that a test's fake need not have it;
   * use `serviceState(backend)`, which falls back to isRunning.
   */
  state?(): Promise<ServiceState>;
}

/** The backend's state, never throwing: an error becomes `running: null` with the message as detail. */
export async function serviceState(backend: ServiceBackend): Promise<ServiceState> {
  try {
    if (backend.state) return await backend.state();
    const running = await backend.isRunning();
    return { running, since: null, pid: null, detail: backend.name === 'none' ? 'no service backend is configured' : backend.name };
  } catch (e) {
    return { running: null, since: null, pid: null, detail: e instanceof Error ? e.message : String(e) };
  }
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
