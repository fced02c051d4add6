/**
 * How the agent reaches qmail-send for a HUP or a restart (DESIGN.md "The agent: applying
 * safely": fixed commands only, the controller cannot make the agent run anything else).
 */
export interface ServiceBackend {
  /** shown in logs; 'none' means no backend is configured */
  name: string;
  /** whether qmail-send runs; null when the backend cannot tell */
  isRunning(): Promise<boolean | null>;
  /** HUP rereads locals and virtualdomains; restart is needed for the rest (QMAIL.md §5) */
  signal(kind: 'hup' | 'restart'): Promise<void>;
}

/** With no backend configured, HUP and restart are skipped and reported in `skipped` (DESIGN.md, Contract). */
export const noServiceBackend: ServiceBackend = {
  name: 'none',
  isRunning: async () => null,
  signal: async () => {
    throw new Error('no service backend is configured');
  },
};
