import { AGENT_RETRY_HINT_MAX_MS, AppointmentBook, RetryHintSchema, refusedRetryDelay, retryHintOf } from './admission';

describe('retryHintOf', () => {
  it('reads the appointment of a refusal', () => {
    expect(retryHintOf({ retryAfterMs: 1234 })).toBe(1234);
    expect(retryHintOf({ retryAfterMs: 0 })).toBe(0);
    // a newer controller may say more; the appointment still counts
    expect(retryHintOf({ retryAfterMs: 50, reason: 'storm' })).toBe(50);
  });

  it('caps an absurd or hostile appointment at the longest wait an agent honours', () => {
    expect(retryHintOf({ retryAfterMs: 10 ** 12 })).toBe(AGENT_RETRY_HINT_MAX_MS);
    expect(retryHintOf({ retryAfterMs: Number.MAX_SAFE_INTEGER })).toBe(AGENT_RETRY_HINT_MAX_MS);
  });

  it('has none without data (an older controller) or with a malformed one', () => {
    for (const data of [undefined, null, 'soon', 5000, [], {}, { retryAfterMs: -1 }, { retryAfterMs: 1.5 }, { retryAfterMs: '1000' }, { retryAfterMs: NaN }, { retryAfterMs: Infinity }, { retryAfterMs: null }]) {
      expect(retryHintOf(data)).toBeNull();
    }
  });

  it('is the shape the controller sends', () => {
    expect(RetryHintSchema.safeParse({ retryAfterMs: 20 }).success).toBe(true);
  });
});

describe('refusedRetryDelay', () => {
  it('waits for the appointment when there is one', () => {
    expect(refusedRetryDelay({ retryAfterMs: 7000 }, 1, () => 0.999)).toEqual({ ms: 7000, appointed: true });
    expect(refusedRetryDelay({ retryAfterMs: 10 ** 9 }, 1)).toEqual({ ms: AGENT_RETRY_HINT_MAX_MS, appointed: true });
  });

  it('backs off exponentially with full jitter without one, as before', () => {
    expect(refusedRetryDelay(undefined, 3, () => 0.5)).toEqual({ ms: 2000, appointed: false });
    expect(refusedRetryDelay({ retryAfterMs: -5 }, 1, () => 0.999999)).toEqual({ ms: 999, appointed: false });
  });
});

describe('AppointmentBook', () => {
  const clock = () => {
    const c = { t: 1000, now: () => c.t };
    return c;
  };

  it('hands out the next free slot, one every 1/rate s after those already booked', () => {
    const c = clock();
    const book = new AppointmentBook(500, 0, c.now);
    expect([book.book(), book.book(), book.book()]).toEqual([2, 4, 6]);
    expect(book.aheadMs).toBe(6);
    // time passes: the slots are counted from the last booked one, not from now
    c.t += 3;
    expect(book.book()).toBe(5);
    // the book ran out: slots start from now again
    c.t += 1000;
    expect(book.aheadMs).toBe(0);
    expect(book.book()).toBe(2);
  });

  it('spreads a storm over exactly rate per second', () => {
    const c = clock();
    const book = new AppointmentBook(1000, 0, c.now);
    const hints = Array.from({ length: 9500 }, () => book.book());
    expect(hints[0]).toBe(1);
    expect(hints[9499]).toBe(9500);
    for (let s = 0; s < 9; s++) expect(hints.filter((h) => h > s * 1000 && h <= (s + 1) * 1000).length).toBe(1000);
  });

  it('adds jitter after the slot, never before it', () => {
    const c = clock();
    const book = new AppointmentBook(10, 50, c.now, () => 0.999);
    expect(book.book()).toBe(150);
    expect(book.book()).toBe(250);
    const zero = new AppointmentBook(10, 50, c.now, () => 0);
    expect(zero.book()).toBe(100);
  });

  it('never books past the longest wait an agent honours', () => {
    const c = clock();
    const book = new AppointmentBook(1, 0, c.now, Math.random, 3000);
    expect([book.book(), book.book(), book.book()]).toEqual([1000, 2000, 3000]);
    expect([book.book(), book.book()]).toEqual([3000, 3000]);
    // those handed the longest wait took no slot: the next one after a second is the fourth
    c.t += 1000;
    expect(book.book()).toBe(3000);
    expect(book.aheadMs).toBe(3000);
  });
});
