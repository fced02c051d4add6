import { MAX_HOST_PAGE } from './api';
import { QueueSparklinesQuerySchema, sparklineGrid, sparklineIndex } from './queue-sparklines';
import { parsePayload } from './validation';

const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('QueueSparklinesQuerySchema', () => {
  it('takes up to a page of host ids, one point a minute by default', () => {
    const ids = Array.from({ length: MAX_HOST_PAGE }, (_, i) => id(i));
    expect(parsePayload(QueueSparklinesQuerySchema, { ids })).toEqual({ ok: true, value: { ids, step: 60 } });
    expect(parsePayload(QueueSparklinesQuerySchema, { ids: [id(1)], step: '300' })).toEqual({ ok: true, value: { ids: [id(1)], step: 300 } });
  });

  it('names the field: no ids, too many, not an id, a step under a minute', () => {
    expect(parsePayload(QueueSparklinesQuerySchema, { ids: [] })).toMatchObject({ ok: false, problems: [{ path: 'ids' }] });
    const over = Array.from({ length: MAX_HOST_PAGE + 1 }, (_, i) => id(i));
    expect(parsePayload(QueueSparklinesQuerySchema, { ids: over })).toEqual({ ok: false, problems: [{ path: 'ids', message: `at most ${MAX_HOST_PAGE} host ids per call (one page of hosts)` }] });
    expect(parsePayload(QueueSparklinesQuerySchema, { ids: [id(1), 'nope'] })).toMatchObject({ ok: false, problems: [{ path: 'ids[1]' }] });
    expect(parsePayload(QueueSparklinesQuerySchema, { ids: [id(1)], step: 10 })).toMatchObject({ ok: false, problems: [{ path: 'step' }] });
    expect(parsePayload(QueueSparklinesQuerySchema, { ids: [id(1)], extra: 1 })).toMatchObject({ ok: false });
  });
});

describe('sparklineGrid', () => {
  it('covers the hour in step-aligned buckets, the current one last', () => {
    const now = Date.parse('2026-11-27T12:30:25Z');
    const g = sparklineGrid(now, 60);
    expect(g).toEqual({ fromMs: Date.parse('2026-11-27T11:31:00Z'), points: 60, stepMs: 60_000 });
    expect(sparklineIndex(Date.parse('2026-11-27T11:31:00Z'), g)).toBe(0);
    expect(sparklineIndex(Date.parse('2026-11-27T11:31:59.999Z'), g)).toBe(0);
    expect(sparklineIndex(Date.parse('2026-11-27T12:30:10Z'), g)).toBe(59);
    expect(sparklineIndex(Date.parse('2026-11-27T11:30:59Z'), g)).toBe(-1);
    expect(sparklineIndex(Date.parse('2026-11-27T12:31:00Z'), g)).toBe(-1);
    expect(sparklineGrid(now, 300)).toEqual({ fromMs: Date.parse('2026-11-27T11:35:00Z'), points: 12, stepMs: 300_000 });
  });
});
