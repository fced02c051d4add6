import { queueHealthByDomain, queueSummary } from './summary';
import type { QueuedMessage, QueueScan } from './types';

const t = (iso: string) => new Date(iso);
const m = (id: number, queuedAt: string, recipients: QueuedMessage['recipients'], remoteRetry?: string): QueuedMessage => ({
  id,
  queuedAt: t(queuedAt),
  size: 100,
  sender: 's@x',
  recipients,
  bouncing: false,
  nextRetryAt: remoteRetry ? { remote: t(remoteRetry) } : {},
});
const remote = (address: string, done = false) => ({ kind: 'remote' as const, address, done });
const local = (address: string, done = false) => ({ kind: 'local' as const, address, done });

const scan: QueueScan = {
  messages: [
    m(1, '2024-01-01T00:00:00Z', [local('a@here'), remote('b@Slow.example'), remote('c@slow.example')], '2024-01-01T01:00:00Z'),
    m(2, '2024-01-01T00:10:00Z', [remote('d@slow.example'), remote('e@fast.example', true)], '2024-01-01T00:30:00Z'),
    m(3, '2024-01-01T00:20:00Z', [local('f@here', true), remote('g@other.example')], '2024-01-01T02:00:00Z'),
    m(4, '2024-01-01T00:30:00Z', [local('h@here')]),
  ],
  counts: { messages: 5, unprocessed: 1 },
  oldestQueuedAt: t('2024-01-01T00:00:00Z'),
  bytes: 400,
};

describe('queueSummary', () => {
  it('counts messages with pending local and remote recipients, and the age of the oldest', () => {
    expect(queueSummary(scan, t('2024-01-01T01:00:00.900Z'))).toEqual({
      messages: 5,
      unprocessed: 1,
      local: 2,
      remote: 3,
      bytes: 400,
      oldestAgeSec: 3600,
    });
  });
  it('has no age for an empty queue', () => {
    const empty: QueueScan = { messages: [], counts: { messages: 0, unprocessed: 0 }, bytes: 0 };
    expect(queueSummary(empty, new Date()).oldestAgeSec).toBeNull();
  });
});

describe('queueHealthByDomain', () => {
  it('groups pending remote recipients by lowercased domain, busiest first', () => {
    // Before every written retry time: the mtimes qmail-send wrote on exit are the schedule.
    expect(queueHealthByDomain(scan, t('2024-01-01T00:25:00Z'))).toEqual([
      {
        domain: 'slow.example',
        messages: 2,
        recipients: 3,
        nextRetryAt: t('2024-01-01T00:30:00Z'),
        oldestQueuedAt: t('2024-01-01T00:00:00Z'),
      },
      {
        domain: 'other.example',
        messages: 1,
        recipients: 1,
        nextRetryAt: t('2024-01-01T02:00:00Z'),
        oldestQueuedAt: t('2024-01-01T00:20:00Z'),
      },
    ]);
  });

  it("takes qmail-send's schedule where the remote mtime is stale (at the birth or past)", () => {
    const stale: QueueScan = {
      ...scan,
      messages: [
        // mtime = birth: qmail-send has not exited since it preprocessed the message.
        m(1, '2024-01-01T00:00:00Z', [remote('b@slow.example')], '2024-01-01T00:00:00Z'),
        // mtime in the past.
        m(2, '2024-01-01T00:10:00Z', [remote('d@slow.example')], '2024-01-01T00:30:00Z'),
      ],
    };
    const now = t('2024-01-01T00:40:00Z');
    // #1: age 2400 s, √ ≈ 49, next multiple of 20 is 60: birth + 3600 s. #2: age 1800 s, √ ≈ 42.4 → 60: 00:10 + 3600 s.
    expect(queueHealthByDomain(stale, now)[0]?.nextRetryAt).toEqual(t('2024-01-01T01:00:00Z'));
    expect(queueHealthByDomain({ ...stale, messages: [stale.messages[1]!] }, now)[0]?.nextRetryAt).toEqual(t('2024-01-01T01:10:00Z'));
  });
});
