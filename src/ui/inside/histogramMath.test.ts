import { describe, expect, it } from 'vitest';
import {
  DISTRIBUTION_PERCENTILES,
  type HistogramPoint,
  keepPoint,
  offsetSlices,
  percentiles,
  valueRange,
} from './histogramMath';

/** A histogram of `counts` over [lo, hi] whose finite extremes are lo and hi. */
function point(step: number, counts: number[], lo = 0, hi = counts.length): HistogramPoint {
  return {
    step,
    wallTime: 1000 * step,
    lo,
    hi,
    counts: Uint32Array.from(counts),
    nan: 0,
    posInf: 0,
    negInf: 0,
    min: lo,
    max: hi,
    sum: 0,
    sumSquares: 0,
  };
}

describe('keepPoint', () => {
  it('keeps every point up to the limit, then thins the older ones evenly and keeps the newest', () => {
    let kept: HistogramPoint[] = [];
    for (let s = 1; s <= 5; s++) kept = keepPoint(kept, point(s, [1]), 4);
    // Five points over a limit of four: steps 1, 3, 5 stay.
    expect(kept.map((p) => p.step)).toEqual([1, 3, 5]);
    kept = keepPoint(kept, point(6, [1]), 4);
    expect(kept.map((p) => p.step)).toEqual([1, 3, 5, 6]);
    for (let s = 7; s <= 100; s++) kept = keepPoint(kept, point(s, [1]), 4);
    expect(kept.length).toBeLessThanOrEqual(4);
    expect(kept.at(-1)?.step).toBe(100);
    expect(kept[0].step).toBe(1);
  });

  it('replaces what a resumed run logs again from an earlier step', () => {
    const kept = [10, 20, 30].reduce<HistogramPoint[]>((k, s) => keepPoint(k, point(s, [1])), []);
    expect(keepPoint(kept, point(20, [2])).map((p) => [p.step, p.counts[0]])).toEqual([
      [10, 1],
      [20, 2],
    ]);
  });
});

describe('percentiles', () => {
  it('reads the extremes exactly and interpolates inside a bin', () => {
    // 10 values spread evenly over [0, 10): one per bin.
    const h = point(1, Array(10).fill(1), 0, 10);
    expect(percentiles(h, [0, 50, 25, 100])).toEqual([0, 5, 2.5, 10]);
  });

  it('skips empty bins and stays within the finite extremes', () => {
    const h = { ...point(1, [2, 0, 0, 2], 0, 4), min: 0.5, max: 3.5 };
    // Half the mass is in the first bin: the median is its right edge, clamped nowhere.
    expect(percentiles(h, [50])).toEqual([1]);
    expect(percentiles(h, [75])).toEqual([3.5]);
    expect(percentiles(h, [1])).toEqual([0.5]);
  });

  it("gives TensorBoard's nine Distributions percentiles, in order, and NaN with nothing counted", () => {
    const h = point(1, [1, 4, 10, 4, 1], -2.5, 2.5);
    const qs = percentiles(h, DISTRIBUTION_PERCENTILES);
    expect(qs).toHaveLength(9);
    expect(qs[4]).toBeCloseTo(0);
    expect([...qs].sort((a, b) => a - b)).toEqual(qs);
    expect(qs[0] + qs[8]).toBeCloseTo(0);
    expect(percentiles(point(1, [0, 0]), [0, 50])).toEqual([Number.NaN, Number.NaN]);
  });
});

describe('offsetSlices', () => {
  it('stacks slices by step, the oldest at the back and the newest in front, over one value range', () => {
    const points = [point(0, [1, 2], 0, 2), point(50, [4, 0], 1, 3), point(100, [0, 2], 2, 4)];
    expect(valueRange(points)).toEqual([0, 4]);
    const slices = offsetSlices(points, 400, 200, 40);
    expect(slices.map((s) => [s.step, s.baseline])).toEqual([
      [0, 40],
      [50, 120],
      [100, 200],
    ]);
    // The tallest bin (4, at step 50, centred at value 1.5) reaches a full slice height up.
    expect(slices[1].path).toBe('M100,120L150,80L250,120L300,120Z');
    expect(slices[0].path).toBe('M0,40L50,30L150,20L200,40Z');
  });

  it('draws a lone constant tensor at its value', () => {
    const c = { ...point(3, [5], 2, 2), min: 2, max: 2 };
    expect(valueRange([c])).toEqual([1, 3]);
    expect(offsetSlices([c], 100, 50, 10)).toEqual([{ step: 3, baseline: 50, path: 'M50,50L50,40L50,50Z' }]);
  });
});
