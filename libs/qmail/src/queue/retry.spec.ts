import { nextRetries, nextRetry, scheduledRetry } from './retry';

const birth = new Date('2024-03-14T09:00:00Z');
const at = (sec: number) => new Date(birth.getTime() + sec * 1000);

describe('scheduledRetry (qmail-send: birth + n², n the next multiple of chanskip above √age)', () => {
  it('gives the remote attempts at 400, 1600, 3600, 6400 s', () => {
    expect(scheduledRetry(birth, 'remote', at(0))).toEqual(at(400));
    expect(scheduledRetry(birth, 'remote', at(1))).toEqual(at(400));
    expect(scheduledRetry(birth, 'remote', at(399))).toEqual(at(400));
    // On the boundary the attempt is being made now: the next one is the one after.
    expect(scheduledRetry(birth, 'remote', at(400))).toEqual(at(1600));
    expect(scheduledRetry(birth, 'remote', at(500))).toEqual(at(1600));
    expect(scheduledRetry(birth, 'remote', at(1600))).toEqual(at(3600));
    expect(scheduledRetry(birth, 'remote', at(4000))).toEqual(at(6400));
  });

  it('gives the local attempts at 100, 400, 900 s', () => {
    expect(scheduledRetry(birth, 'local', at(0))).toEqual(at(100));
    expect(scheduledRetry(birth, 'local', at(150))).toEqual(at(400));
    expect(scheduledRetry(birth, 'local', at(400))).toEqual(at(900));
  });

  it('is always after now, even days into the queue lifetime', () => {
    for (const age of [0, 1, 99, 100, 12345, 604799, 604800, 3 * 604800]) {
      for (const ch of ['local', 'remote'] as const) expect(scheduledRetry(birth, ch, at(age)).getTime()).toBeGreaterThan(at(age).getTime());
    }
    // 7 days: √604800 ≈ 777.7, next multiple of 20 is 780.
    expect(scheduledRetry(birth, 'remote', at(604800))).toEqual(at(780 * 780));
  });

  it('treats a birth in the future (clock skew) as age 0, as qmail-send does', () => {
    expect(scheduledRetry(birth, 'remote', at(-50))).toEqual(at(400));
  });

  it('works in whole seconds of the birth, as qmail does', () => {
    expect(scheduledRetry(new Date(birth.getTime() + 700), 'remote', at(10))).toEqual(at(400));
  });
});

describe('nextRetry', () => {
  it('keeps an mtime that qmail-send wrote on exit (after the birth, still ahead)', () => {
    expect(nextRetry(birth, at(1600), 'remote', at(900))).toEqual(at(1600));
  });

  it('computes the schedule when the mtime is the birth (qmail-send never exited since)', () => {
    expect(nextRetry(birth, birth, 'remote', at(900))).toEqual(at(1600));
  });

  it('computes the schedule when the mtime is in the past', () => {
    expect(nextRetry(birth, at(400), 'remote', at(900))).toEqual(at(1600));
    expect(nextRetry(birth, at(900), 'local', at(900))).toEqual(at(1600));
  });

  it('does the channels of a message separately', () => {
    expect(nextRetries({ queuedAt: birth, nextRetryAt: { local: birth, remote: at(5000) } }, at(120))).toEqual({ local: at(400), remote: at(5000) });
    expect(nextRetries({ queuedAt: birth, nextRetryAt: {} }, at(120))).toEqual({});
  });
});
