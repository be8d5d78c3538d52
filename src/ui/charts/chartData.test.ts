import { describe, expect, it } from 'vitest';
import { chartRows, pointCounts, valuesInRange, xExtent } from './chartData';
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

  it('gives the raw and smoothed values in an x range, for the y-axis to span', () => {
    const rows = chartRows([run('a', [1, 2, 4]), run('b', [2, 10])], 'Loss/val', 0.5, 'step', false);
    const values = valuesInRange(rows, [2, 4]);
    // Raw 1/2 and 1/4 of a, 1/2 of b, each with its smoothed value; step 1 and 10 lie outside.
    expect(values).toHaveLength(6);
    expect(values).toContain(0.25);
    expect(values).not.toContain(1);
    expect(values).not.toContain(0.1);
  });
});
