import { describe, expect, it } from 'vitest';
import { chartRows, pointCounts, valuesInView, xExtent } from './chartData';
import type { ChartRun } from './types';

const run = (id: string, steps: number[]): ChartRun => ({
  id,
  name: id,
  color: '#000',
  visible: true,
  series: { 'Loss/val': steps.map((step) => ({ step, value: 1 / step, wallTime: step, epoch: step / 10 })) },
});

describe('chart rows', () => {
  it('counts a one-epoch run as a single point beside a longer run, so it is drawn as a dot', () => {
    const rows = chartRows([run('long', [10, 20, 30]), run('short', [10])], 'Loss/val', 0, 'step', false);
    expect(pointCounts(rows, 2)).toEqual([3, 1]);
  });

  it('covers the x range of every run', () => {
    const rows = chartRows([run('a', [5, 20]), run('b', [1, 8])], 'Loss/val', 0, 'step', false);
    expect(xExtent(rows)).toEqual([1, 20]);
    expect(xExtent([])).toBeNull();
  });

  it("gives each run's raw and smoothed values in an x range, for the y-axis to span", () => {
    const rows = chartRows([run('a', [1, 2, 4]), run('b', [2, 10])], 'Loss/val', 0.5, 'step', false);
    const [a, b] = valuesInView(rows, 2, [2, 4], false);
    // Raw 1/2 and 1/4 of a, with their smoothed values; step 1 lies outside.
    expect(a.raw).toEqual([0.5, 0.25]);
    expect(a.smooth).toHaveLength(2);
    expect(a.raw).not.toContain(1);
    expect(a.nonFinite).toBe(false);
    // b's line runs on from 1/2 at step 2 to 1/10 at step 10: at the right edge (step 4) it is 0.4.
    expect(b.raw).toEqual([0.5, 0.4]);
  });

  it('holds the height where a zoomed line crosses the edges, straight in log y on a log axis', () => {
    const rows = chartRows([run('a', [1, 2, 4]), run('b', [2, 10])], 'Loss/val', 0, 'step', false);
    // Between points: a from 1/2 (step 2) to 1/4 (step 4) crosses step 3 at 3/8; b crosses both edges.
    const [a, b] = valuesInView(rows, 2, [3, 4], false);
    expect(a.raw).toEqual([0.25, 0.375]);
    expect(b.raw.map((v) => Number(v.toFixed(12)))).toEqual([0.45, 0.4]);
    // A zoom between two points of a line still has the line's heights to span.
    const [, only] = valuesInView(rows, 2, [5, 6], false);
    expect(only.raw.map((v) => Number(v.toFixed(12)))).toEqual([0.35, 0.3]);
    const [logA] = valuesInView(rows, 2, [3, 4], true);
    expect(logA.raw[1]).toBeCloseTo(Math.sqrt(0.5 * 0.25), 12);
  });

  it('marks a run with values that are not finite in the range, and draws no line through them', () => {
    const bad: ChartRun = {
      ...run('bad', []),
      series: {
        'Loss/val': [1, 2, 3].map((step) => ({
          step,
          value: step === 2 ? Number.NaN : step,
          wallTime: step,
          epoch: step,
        })),
      },
    };
    const rows = chartRows([bad], 'Loss/val', 0, 'step', false);
    const [inside] = valuesInView(rows, 1, [1.5, 3], false);
    expect(inside.nonFinite).toBe(true);
    // No line runs from step 1 across the NaN at step 2, so nothing crosses the edge at 1.5.
    expect(inside.raw).toEqual([3]);
    expect(valuesInView(rows, 1, [2.5, 3], false)[0].nonFinite).toBe(false);
  });
});
