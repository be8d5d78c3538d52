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

  it('puts a constant series in a band with its value as the middle tick', () => {
    const band = yAxisRange([0.1, 0.1], false, false);
    expect(band?.ticks[1]).toBe(0.1);
    for (const [i, t] of [0.05, 0.1, 0.15].entries()) expect(band?.ticks[i]).toBeCloseTo(t, 12);
    expect(band?.domain).toEqual([band?.ticks[0], band?.ticks[2]]);
    expect(yAxisRange([0, 0], false, true)).toEqual({ domain: [-1, 1], ticks: [-1, 0, 1] });
    expect(yAxisRange([0.01], true, false)).toEqual({ domain: [0.005, 0.02], ticks: [0.005, 0.01, 0.02] });
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
