import { mapConcurrent } from './concurrent';

describe('mapConcurrent', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r, undefined));
      for (let k = 0; k < n; k++) await Promise.resolve();
      running--;
      return `${i}:${n}`;
    });
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure, settles every started call, then rejects with the first failure in input order', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4, 5], 3, async (n) => {
      started.push(n);
      await new Promise((r) => setImmediate(r, undefined));
      if (n === 2) throw new Error('two');
      // 0 finishes last: a caller cleaning up after the failure must not race it.
      if (n === 0) for (let k = 0; k < 20; k++) await new Promise((r) => setImmediate(r, undefined));
      finished.push(n);
      if (n === 1) throw new Error('one');
    });
    await expect(run).rejects.toThrow('one');
    expect(finished).toContain(0);
    expect(started).not.toContain(5);
  });

  it('answers an empty list with an empty list', async () => {
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });
});
