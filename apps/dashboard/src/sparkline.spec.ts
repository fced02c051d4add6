import { sparklineShape } from './sparkline';

describe('sparklineShape', () => {
  it('scales from 0 at the bottom to the largest value at the top', () => {
    const s = sparklineShape([0, 5, 10], 21, 11, 1);
    expect(s.runs).toEqual(['1,10 10.5,5.5 20,1']);
    expect(s.dots).toEqual([]);
    expect(s).toMatchObject({ known: 3, max: 10, last: 10 });
  });

  it('breaks the line at buckets without a sample; a lone point is a dot', () => {
    const s = sparklineShape([2, 2, null, 1, null, null, 0], 62, 11, 1);
    expect(s.runs).toEqual(['1,1 11,1']);
    expect(s.dots).toEqual([
      { x: 31, y: 5.5 },
      { x: 61, y: 10 },
    ]);
    expect(s).toMatchObject({ known: 4, max: 2, last: 0 });
  });

  it('draws an empty queue along the bottom and nothing for no samples', () => {
    expect(sparklineShape([0, 0], 11, 11, 1).runs).toEqual(['1,10 10,10']);
    expect(sparklineShape([null, null], 11, 11, 1)).toEqual({ runs: [], dots: [], known: 0, max: 0, last: null });
  });
});
