import { EventBudget } from './event-budget';

describe('EventBudget', () => {
  it('allows perMinute events per sender in a window, refuses the next, and opens a new window after a minute', () => {
    let now = 1_000_000;
    const budget = new EventBudget(3, () => now);
    expect([budget.take('a'), budget.take('a'), budget.take('a'), budget.take('a')]).toEqual([true, true, true, false]);
    // Another sender has a budget of its own.
    expect(budget.take('b')).toBe(true);
    now += 59_999;
    expect(budget.take('a')).toBe(false);
    now += 1;
    expect(budget.take('a')).toBe(true);
  });

  it('forgets senders whose window ended, so the map stays bounded by the senders of the last minutes', () => {
    let now = 0;
    const budget = new EventBudget(10, () => now);
    for (let i = 0; i < 100; i++) budget.take(`host${i}`);
    expect(budget.size).toBe(100);
    now += 60_000;
    budget.take('host0');
    expect(budget.size).toBe(1);
  });
});
