import { ago, table } from './output';

describe('table', () => {
  it('pads every column but the last to its widest cell, two spaces apart', () => {
    expect(table(['NAME', 'ROLE'], [['reader', 'viewer'], ['ci', 'operator']])).toBe('NAME    ROLE\nreader  viewer\nci      operator');
  });

  it('trims trailing spaces left by an empty last cell', () => {
    expect(table(['A', 'B'], [['x', '']])).toBe('A  B\nx');
  });
});

describe('ago', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  it('says how long since a time in the largest whole unit', () => {
    expect(ago('2026-01-01T23:59:30Z', now)).toBe('30s ago');
    expect(ago('2026-01-01T23:00:00Z', now)).toBe('1h ago');
    expect(ago('2025-12-30T00:00:00Z', now)).toBe('3d ago');
    expect(ago(null, now)).toBe('never');
  });
});
