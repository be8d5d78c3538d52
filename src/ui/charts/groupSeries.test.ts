import { describe, expect, it } from 'vitest';
import { chartRows, rowKeys, valuesInView } from './chartData';
import { groupSeries } from './groupSeries';
import type { ChartRun } from './types';

const run = (id: string, values: number[]): ChartRun => ({
  id,
  name: id,
  color: '#000',
  visible: true,
  series: { 'Loss/train': values.map((value, i) => ({ step: i * 10, value, wallTime: 1000 + i, epoch: i })) },
});

describe('groupSeries', () => {
  it('draws runs as their mean per step with a min-max band, skipping non-finite values', () => {
    const g = groupSeries([run('a', [1, 2, Number.NaN]), run('b', [3, 6, 5]), run('c', [2, 1])], {
      id: 'g',
      name: 'lr=0.01',
      color: '#111',
    });
    expect(g.series['Loss/train'].map((p) => [p.step, p.value])).toEqual([
      [0, 2],
      [10, 3],
      [20, 5],
    ]);
    expect(g.bands?.['Loss/train']).toEqual([
      [1, 3],
      [1, 6],
      [5, 5],
    ]);
  });

  it('puts the band in the chart rows, smoothed like the mean, and in the y range', () => {
    const g = groupSeries([run('a', [1, 2]), run('b', [3, 8])], { id: 'g', name: 'g', color: '#111' });
    const rows = chartRows([g], 'Loss/train', 0.5, 'step', false);
    const k = rowKeys(0);
    expect([rows[0][k.smooth], rows[0][k.lo], rows[0][k.hi]]).toEqual([2, 1, 3]);
    // Smoothed with the same weight, the band still holds its mean, and the y-axis spans it.
    expect(rows[1][k.lo]).toBeLessThan(rows[1][k.smooth]);
    expect(rows[1][k.hi]).toBeGreaterThan(rows[1][k.smooth]);
    expect(rows[1][k.hi]).toBeLessThan(8);
    expect(Math.max(...valuesInView(rows, 1, [0, 10], false)[0].smooth)).toBe(rows[1][k.hi]);
  });
});
