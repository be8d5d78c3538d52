import { describe, expect, it } from 'vitest';
import { type AxisRun, trimmedRange, yAxisRange } from './axes';

/** A run's values as the axis takes them: raw and smoothed alike, unless smoothed values are given. */
const run = (raw: number[], more: Partial<AxisRun> = {}): AxisRun => ({
  raw,
  smooth: raw,
  nonFinite: false,
  diverged: false,
  ...more,
});
/** The y-axis of one run. */
const axisOf = (values: number[], log: boolean, robust: boolean) => yAxisRange([run(values)], log, robust);

describe('trimmedRange', () => {
  it('drops the lowest and highest 5% of values, whole, and none of a run with under 20', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i);
    expect(trimmedRange(hundred)).toEqual([5, 94]);
    expect(trimmedRange([1, 2, 3])).toEqual([1, 3]);
    expect(trimmedRange([7])).toEqual([7, 7]);
  });
});

describe('yAxisRange', () => {
  // A falling loss with one diverged step.
  const loss = [...Array.from({ length: 40 }, (_, i) => 1 - i / 50), 80];

  it('spans every value, padded, by default', () => {
    const axis = axisOf(loss, false, false);
    expect(axis?.domain[0]).toBeLessThan(0.22);
    expect(axis?.domain[1]).toBeGreaterThan(80);
    expect(axis?.leftOut).toEqual([]);
  });

  it('spans the smoothed values as well as the raw ones: the range holds what is drawn', () => {
    // Smoothed, a falling curve lags above its raw points.
    const axis = yAxisRange([run([0.5, 0.4], { smooth: [0.9, 0.7] })], false, false);
    expect(axis?.domain[1]).toBeGreaterThan(0.9);
    expect(axis?.domain[0]).toBeLessThan(0.4);
  });

  it('ignores outliers when asked: each run without its top and bottom 5%, padded', () => {
    const axis = axisOf(loss, false, true);
    if (!axis) throw new Error('no axis');
    const [lo, hi] = trimmedRange([...loss].sort((a, b) => a - b));
    expect(hi).toBeLessThan(1.1);
    expect(axis.domain[0]).toBeCloseTo(lo - (hi - lo) * 0.05, 12);
    expect(axis.domain[1]).toBeCloseTo(hi + (hi - lo) * 0.05, 12);
    for (const t of axis.ticks) {
      expect(t).toBeGreaterThanOrEqual(axis.domain[0]);
      expect(t).toBeLessThanOrEqual(axis.domain[1]);
    }
    // A few validation points are data, not outliers: none is cut.
    const val = axisOf([0.84, 0.9, 0.93], false, true);
    expect(val?.domain[0]).toBeLessThan(0.84);
    expect(val?.domain[1]).toBeGreaterThan(0.93);
  });

  it('ignoring outliers, scales to the healthy runs and names the diverged one it left out', () => {
    // Two healthy losses falling to ~0.1, one run that diverged to 23 in 4 logged points.
    const healthy = (end: number) => Array.from({ length: 60 }, (_, i) => 2.3 * (end / 2.3) ** (i / 59));
    const runs = [run(healthy(0.1)), run(healthy(0.2)), run([2.3, 6, 14, 23], { diverged: true })];
    const pooled = yAxisRange(runs, false, false);
    expect(pooled?.domain[1]).toBeGreaterThan(23);
    const axis = yAxisRange(runs, false, true);
    if (!axis) throw new Error('no axis');
    // The healthy runs fill the plot: their trimmed range, not the diverged run's 23.
    expect(axis.domain[1]).toBeLessThan(2.3);
    expect(axis.domain[0]).toBeLessThan(0.15);
    expect(axis.leftOut).toEqual([{ run: 2, why: 'diverged' }]);
    // Values that are not finite leave a run out too, said as such.
    const nan = yAxisRange([runs[0], run([1, 50], { nonFinite: true })], false, true);
    expect(nan?.leftOut).toEqual([{ run: 1, why: 'not finite' }]);
    // A diverged run inside the healthy range flattens nothing: nothing is said of it.
    expect(yAxisRange([runs[0], run([0.5, 0.6], { diverged: true })], false, true)?.leftOut).toEqual([]);
    // Only diverged runs: they are what there is to draw.
    const alone = yAxisRange([runs[2]], false, true);
    expect(alone?.domain[1]).toBeGreaterThan(23);
    expect(alone?.leftOut).toEqual([]);
    // Without "ignore outliers", every run counts, and none is left out.
    expect(pooled?.leftOut).toEqual([]);
  });

  it('centres a constant series in a band with round ticks', () => {
    // One validation point at 0.391634: the band is 0.341634-0.441634, its ticks round hundredths.
    const band = axisOf([0.391634], false, false);
    expect(band?.domain[0]).toBeCloseTo(0.341634, 12);
    expect(band?.domain[1]).toBeCloseTo(0.441634, 12);
    expect(band?.ticks.length).toBeGreaterThanOrEqual(3);
    for (const t of band?.ticks ?? []) expect(Math.abs(t * 100 - Math.round(t * 100))).toBeLessThan(1e-9);
    const zero = axisOf([0, 0], false, true);
    expect(zero?.domain).toEqual([-1, 1]);
    expect(zero?.ticks).toContain(0);
    const log = axisOf([0.01], true, false);
    expect(log?.domain).toEqual([0.005, 0.02]);
    expect(log?.ticks).toContain(0.01);
  });

  it('pads a log axis by a ratio and gives it log ticks', () => {
    const axis = axisOf([0.001, 0.01, 2], true, false);
    if (!axis) throw new Error('no axis');
    expect(axis.domain[0]).toBeLessThan(0.001);
    expect(axis.domain[0]).toBeGreaterThan(0);
    expect(axis.ticks).toEqual([0.001, 0.01, 0.1, 1]);
  });

  it('has no axis without values', () => {
    expect(axisOf([], false, false)).toBeNull();
    expect(yAxisRange([], false, true)).toBeNull();
  });
});

describe('yAxisRange over values that are not finite or overflow', () => {
  it('spans the finite values, and stays finite with ticks next to float64 overflow', () => {
    const nan = axisOf([Number.NaN, 1, 2, Number.POSITIVE_INFINITY], false, false);
    expect(nan?.domain).toEqual([0.95, 2.05]);
    expect(axisOf([Number.NaN, Number.NEGATIVE_INFINITY], false, false)).toBeNull();
    expect(axisOf([-1, 0], true, false)).toBeNull();
    for (const log of [false, true]) {
      const huge = axisOf([1, 1e300, 1.7e308], log, false);
      expect(huge?.domain.every(Number.isFinite)).toBe(true);
      expect(Array.isArray(huge?.ticks)).toBe(true);
    }
  });
});
