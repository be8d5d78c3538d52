import { describe, expect, it } from 'vitest';
import { formatTick, formatX } from './format';

describe('formatTick', () => {
  it('writes round ticks plainly, tiny and huge ones as short exponents', () => {
    expect([0, 0.001, 0.01, 0.2, 1, 50, 1000.5].map(formatTick)).toEqual([
      '0',
      '0.001',
      '0.01',
      '0.2',
      '1',
      '50',
      '1000.5',
    ]);
    expect([1e-4, 2.5e-5, 1e-8, 1e6].map(formatTick)).toEqual(['1e-4', '2.5e-5', '1e-8', '1e+6']);
  });

  it('hides floating-point dust', () => {
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
  });
});

describe('formatX', () => {
  it('writes steps whole and grouped, so zoomed ticks stay apart', () => {
    expect(formatX(512, 'step')).toBe('512');
    expect(['12,345', '12,346']).toEqual([formatX(12_345, 'step'), formatX(12_346, 'step')]);
  });

  it('writes epochs to two decimals and relative time as a duration', () => {
    expect(formatX(1.2345, 'epoch')).toBe('1.23');
    expect(formatX(185, 'relative')).toBe('3m 05s');
  });
});
