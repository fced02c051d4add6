import { useCallback, useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';
import { ApiError, storedToken, UI_NAMESPACE, UiEvent, type RolloutSummary } from './api';

export const POLL_MS = 3000;

/**
 * Loads `load()` now and every `intervalMs` (when given); keeps the last good data while a
 * refresh fails, so a short controller restart does not blank the page.
 */
export function usePolling<T>(load: () => Promise<T>, deps: unknown[], intervalMs?: number) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError({ statusCode: 0, error: 'Error', message: String(e) }));
    }
  }, []);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await refresh();
      if (!stopped && intervalMs) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, deps);

  return { data, error, refresh };
}

/**
 * One API call at a time from a button: `busy` disables it while the call runs, `error`
 * holds the refusal for an ErrorBox; `run` answers undefined when the call failed.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);

  const run = useCallback(async <T,>(call: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await call();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError({ statusCode: 0, error: 'Error', message: String(e) }));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);

  return { busy, error, run, clearError: () => setError(undefined) };
}

/**
 * A reload driven by events: at most one call in flight, and any number of requests while it
 * runs make one more call after it, so a burst of events costs two fetches and answers never
 * arrive out of order.
 */
export function useCoalesced(call: () => Promise<unknown>): () => void {
  const callRef = useRef(call);
  callRef.current = call;
  const state = useRef({ running: false, again: false });
  return useCallback(() => {
    const s = state.current;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    void (async () => {
      try {
        do {
          s.again = false;
          await callRef.current();
        } while (s.again);
      } finally {
        s.running = false;
      }
    })();
  }, []);
}

/**
 * Live rollout progress from the controller's `/ui` namespace: `onProgress` gets the summary of
 * every rollout that moves. `resync` runs on each (re)connect, for whatever moved while the
 * socket was down, and every POLL_MS while it is down, so a page never goes stale.
 */
export function useRolloutProgress(onProgress: (summary: RolloutSummary) => void, resync: () => void) {
  const [live, setLive] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const progressRef = useRef(onProgress);
  progressRef.current = onProgress;
  const resyncRef = useRef(resync);
  resyncRef.current = resync;

  useEffect(() => {
    // The controller's socket.io takes WebSocket only (no long-polling), as the agents' link does.
    const socket = io(UI_NAMESPACE, { transports: ['websocket'], auth: { token: storedToken() ?? '' } });
    socket.on('connect', () => {
      setLive(true);
      setProblem(undefined);
      resyncRef.current();
    });
    socket.on('disconnect', () => setLive(false));
    socket.on('connect_error', (e: Error) => {
      setLive(false);
      setProblem(e.message);
    });
    socket.on(UiEvent.rolloutProgress, (summary: RolloutSummary) => progressRef.current(summary));
    const fallback = setInterval(() => {
      if (!socket.connected) resyncRef.current();
    }, POLL_MS);
    return () => {
      clearInterval(fallback);
      socket.disconnect();
    };
  }, []);

  return { live, problem };
}
