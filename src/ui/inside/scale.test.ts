import { describe, expect, it } from 'vitest';
import { extent, makeScale, tickAnchor, tickLabel } from './scale';

describe('makeScale', () => {
  it('maps linearly with round ticks, and widens a point range', () => {
    const s = makeScale(0, 8, 100, 0);
    expect([s(0), s(2), s(8)]).toEqual([100, 75, 0]);
    expect(s.ticks).toEqual([0, 2, 4, 6, 8]);
    expect(makeScale(3, 3, 0, 10).ticks).toEqual([2, 2.5, 3, 3.5, 4]);
    // Round steps inside an awkward range.
    expect(makeScale(-0.119, 0.0961, 0, 1).ticks).toEqual([-0.1, -0.05, 0, 0.05]);
    expect(makeScale(10, 180, 0, 1).ticks).toEqual([50, 100, 150]);
  });

  it('maps log10 over whole decades, ticks at powers of ten, clamping values at or under 0', () => {
    const s = makeScale(2e-4, 0.5, 0, 40, true);
    expect(s.ticks).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(s(1e-3)).toBeCloseTo(10);
    expect(s(1)).toBeCloseTo(40);
    expect(s(0)).toBe(0);
    expect(makeScale(1, 1, 0, 10, true).ticks).toEqual([1, 10]);
  });
});

describe('extent', () => {
  it('skips what the scale cannot draw', () => {
    expect(extent([3, Number.NaN, -1, 0, Number.POSITIVE_INFINITY], true)).toEqual([3, 3]);
    expect(extent([3, Number.NaN, -1, 0])).toEqual([-1, 3]);
    expect(extent([], true)).toEqual([1, 10]);
  });
});

describe('tickLabel', () => {
  it('writes decades as 1eN and values briefly', () => {
    expect([
      tickLabel(1e-3, true),
      tickLabel(1, true),
      tickLabel(0.25, false),
      tickLabel(0.001234, false),
    ]).toEqual(['1e-3', '1e0', '0.25', '1.2e-3']);
  });
});

describe('tickAnchor', () => {
  it('hangs labels near an end inwards, the rest centred', () => {
    expect([0, 10, 50, 95, 100].map((px) => tickAnchor(px, 0, 100))).toEqual([
      'start',
      'start',
      'middle',
      'end',
      'end',
    ]);
  });
});
