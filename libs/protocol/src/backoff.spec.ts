import { AGENT_RECONNECT_MAX_MS } from './agent-events';
import { AGENT_RECONNECT_BASE_MS, reconnectDelay } from './backoff';

describe('reconnectDelay', () => {
  it('doubles its window with every attempt up to the cap', () => {
    const top = () => 0.999999;
    const windows = [1, 2, 3, 4, 5, 6, 7, 50].map((a) => reconnectDelay(a, top));
    expect(windows).toEqual([999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
    expect(reconnectDelay(100, top)).toBeLessThan(AGENT_RECONNECT_MAX_MS);
  });

  it('draws uniformly from zero to the window (full jitter), never negative', () => {
    expect(reconnectDelay(1, () => 0)).toBe(0);
    expect(reconnectDelay(3, () => 0.5)).toBe(2 * AGENT_RECONNECT_BASE_MS);
    expect(reconnectDelay(0, () => 0.5)).toBe(AGENT_RECONNECT_BASE_MS / 2);
  });

  it('spreads a fleet refused at the same instant over the window instead of lockstep', () => {
    const delays = Array.from({ length: 10_000 }, () => reconnectDelay(4));
    const buckets = new Array(8).fill(0);
    for (const d of delays) buckets[Math.floor(d / 1000)]++;
    // 8 s window, 1 s buckets: every bucket near 1,250 (a lockstep would put them all in one)
    for (const b of buckets) expect(b).toBeGreaterThan(1000);
    expect(Math.max(...delays)).toBeLessThan(8000);
  });

  it('honours another base and cap', () => {
    expect(reconnectDelay(10, () => 0.999999, 100, 5000)).toBe(4999);
    expect(reconnectDelay(2, () => 0.999999, 100, 5000)).toBe(199);
  });
});
