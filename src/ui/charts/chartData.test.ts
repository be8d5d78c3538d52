import { describe, expect, it } from 'vitest';
import { chartRows, evenTicks, pointCounts } from './chartData';
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

  it('gives whole-number step ticks, without repeats, and leaves epoch ticks fractional', () => {
    const rows = chartRows([run('a', [1, 768])], 'Loss/val', 0, 'step', false);
    expect(evenTicks(rows, true)).toEqual([1, 193, 385, 576, 768]);
    const narrow = chartRows([run('b', [1, 3])], 'Loss/val', 0, 'step', false);
    expect(evenTicks(narrow, true)).toEqual([1, 2, 3]);
    expect(evenTicks(rows, false)[1]).toBeCloseTo(192.75);
  });
});
