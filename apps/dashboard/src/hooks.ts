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
  // Calls are numbered, and an answer older than one already shown is dropped: the first load
  // and an event's reload run side by side, and a slow first answer ("running") arriving after
  // the reload's ("completed") left a finished rollout's page running for good.
  const calls = useRef({ issued: 0, shown: 0 });

  const refresh = useCallback(async () => {
    const n = ++calls.current.issued;
    try {
      const answer = await loadRef.current();
      if (n < calls.current.shown) return;
      calls.current.shown = n;
      setData(answer);
      setError(undefined);
    } catch (e) {
      if (n < calls.current.shown) return;
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
 * The controller's `/ui` namespace: `handlers` get the events by name. `resync` runs on each
 * (re)connect, for whatever moved while the socket was down, and every POLL_MS while it is
 * down, so a page never goes stale.
 */
export function useUiSocket(handlers: Record<string, (payload: never) => void>, resync: () => void) {
  const [live, setLive] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const resyncRef = useRef(resync);
  resyncRef.current = resync;
  const events = Object.keys(handlers).sort().join(' ');

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
    for (const name of events.split(' ').filter(Boolean)) socket.on(name, (payload: unknown) => handlersRef.current[name]?.(payload as never));
    const fallback = setInterval(() => {
      if (!socket.connected) resyncRef.current();
    }, POLL_MS);
    return () => {
      clearInterval(fallback);
      socket.disconnect();
    };
  }, [events]);

  return { live, problem };
}

/** Live rollout progress from `/ui`: `onProgress` gets the summary of every rollout that moves. */
export function useRolloutProgress(onProgress: (summary: RolloutSummary) => void, resync: () => void) {
  return useUiSocket({ [UiEvent.rolloutProgress]: onProgress as (payload: never) => void }, resync);
}

/** `value`, once it has stayed the same for `ms` (a search box asks the controller once the typing stops). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
