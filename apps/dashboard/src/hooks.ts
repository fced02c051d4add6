import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

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
