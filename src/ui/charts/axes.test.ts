import { describe, expect, it } from 'vitest';
import { quantile, yAxisRange } from './axes';

describe('quantile', () => {
  it('interpolates between neighbours', () => {
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([7], 0.95)).toBe(7);
  });
});

describe('yAxisRange', () => {
  // A falling loss with one diverged step.
  const loss = [...Array.from({ length: 40 }, (_, i) => 1 - i / 50), 80];

  it('spans every value, padded, by default', () => {
    const axis = yAxisRange(loss, false, false);
    expect(axis?.domain[0]).toBeLessThan(0.22);
    expect(axis?.domain[1]).toBeGreaterThan(80);
  });

  it('ignores outliers when asked: the 5th-95th percentiles, padded', () => {
    const axis = yAxisRange(loss, false, true);
    if (!axis) throw new Error('no axis');
    const sorted = [...loss].sort((a, b) => a - b);
    const [p5, p95] = [quantile(sorted, 0.05), quantile(sorted, 0.95)];
    expect(axis.domain[0]).toBeCloseTo(p5 - (p95 - p5) * 0.05, 12);
    expect(axis.domain[1]).toBeCloseTo(p95 + (p95 - p5) * 0.05, 12);
    expect(axis.domain[1]).toBeLessThan(1.1);
    for (const t of axis.ticks) {
      expect(t).toBeGreaterThanOrEqual(axis.domain[0]);
      expect(t).toBeLessThanOrEqual(axis.domain[1]);
    }
  });

  it('centres a constant series in a band with round ticks', () => {
    // One validation point at 0.391634: the band is 0.341634-0.441634, its ticks round hundredths.
    const band = yAxisRange([0.391634], false, false);
    expect(band?.domain[0]).toBeCloseTo(0.341634, 12);
    expect(band?.domain[1]).toBeCloseTo(0.441634, 12);
    expect(band?.ticks.length).toBeGreaterThanOrEqual(3);
    for (const t of band?.ticks ?? []) expect(Math.abs(t * 100 - Math.round(t * 100))).toBeLessThan(1e-9);
    const zero = yAxisRange([0, 0], false, true);
    expect(zero?.domain).toEqual([-1, 1]);
    expect(zero?.ticks).toContain(0);
    const log = yAxisRange([0.01], true, false);
    expect(log?.domain).toEqual([0.005, 0.02]);
    expect(log?.ticks).toContain(0.01);
  });

  it('pads a log axis by a ratio and gives it log ticks', () => {
    const axis = yAxisRange([0.001, 0.01, 2], true, false);
    if (!axis) throw new Error('no axis');
    expect(axis.domain[0]).toBeLessThan(0.001);
    expect(axis.domain[0]).toBeGreaterThan(0);
    expect(axis.ticks).toEqual([0.001, 0.01, 0.1, 1]);
  });

  it('has no axis without values', () => {
    expect(yAxisRange([], false, false)).toBeNull();
  });
});

describe('yAxisRange over values that are not finite or overflow', () => {
  it('spans the finite values, and stays finite with ticks next to float64 overflow', () => {
    const nan = yAxisRange([Number.NaN, 1, 2, Number.POSITIVE_INFINITY], false, false);
    expect(nan?.domain).toEqual([0.95, 2.05]);
    expect(yAxisRange([Number.NaN, Number.NEGATIVE_INFINITY], false, false)).toBeNull();
    expect(yAxisRange([-1, 0], true, false)).toBeNull();
    for (const log of [false, true]) {
      const huge = yAxisRange([1, 1e300, 1.7e308], log, false);
      expect(huge?.domain.every(Number.isFinite)).toBe(true);
      expect(Array.isArray(huge?.ticks)).toBe(true);
    }
  });
});
