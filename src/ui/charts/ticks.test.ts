import { describe, expect, it } from 'vitest';
import { logTicks, niceTicks } from './ticks';

describe('niceTicks', () => {
  it('gives whole steps on a step axis, however far it is zoomed', () => {
    expect(niceTicks(1, 768, 5, true)).toEqual([200, 400, 600]);
    expect(niceTicks(1, 3, 5, true)).toEqual([1, 2, 3]);
    expect(niceTicks(100, 103, 5, true)).toEqual([100, 101, 102, 103]);
    for (const [lo, hi] of [
      [191, 196],
      [0, 7],
      [37, 1234],
      [12_001, 12_013],
    ])
      for (const t of niceTicks(lo, hi, 5, true)) {
        expect(Number.isInteger(t)).toBe(true);
        expect(t).toBeGreaterThanOrEqual(lo);
        expect(t).toBeLessThanOrEqual(hi);
      }
  });

  it('keeps to at most maxCount ticks, and at least two on a real range', () => {
    for (const [lo, hi] of [
      [0, 1],
      [0.3, 0.7],
      [-2.5, 17],
      [1000.1, 1000.5],
      [0, 99_999],
    ]) {
      const ticks = niceTicks(lo, hi, 5, false);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(5);
    }
  });

  it('writes decimal ticks exactly', () => {
    expect(niceTicks(0.1, 0.75, 6, false)).toEqual([0.2, 0.4, 0.6]);
    expect(niceTicks(0, 0.35, 5, false)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(1.05, 1.5, 5, false)).toEqual([1.1, 1.2, 1.3, 1.4, 1.5]);
  });

  it('gives the one value of a point range', () => {
    expect(niceTicks(42, 42, 5, true)).toEqual([42]);
  });
});

describe('logTicks', () => {
  it('uses powers of ten over several decades, thinned to fit', () => {
    expect(logTicks(0.0005, 3, 6)).toEqual([0.001, 0.01, 0.1, 1]);
    expect(logTicks(1e-9, 1, 5)).toEqual([1e-8, 1e-6, 1e-4, 0.01, 1]);
  });

  it('uses 1-2-5 steps over a decade or two', () => {
    expect(logTicks(0.09, 1.2, 6)).toEqual([0.1, 0.2, 0.5, 1]);
    expect(logTicks(0.15, 3, 6)).toEqual([0.2, 0.5, 1, 2]);
  });

  it('falls back to linear ticks within a narrow range', () => {
    expect(logTicks(0.31, 0.38, 5)).toEqual([0.32, 0.34, 0.36, 0.38]);
  });

  it('never puts two ticks closer than a third of a decade', () => {
    for (const [lo, hi] of [
      [0.001, 0.2],
      [0.02, 40],
      [1e-6, 1e3],
      [0.5, 50],
    ]) {
      const logs = logTicks(lo, hi, 6).map(Math.log10);
      for (let i = 1; i < logs.length; i++) expect(logs[i] - logs[i - 1]).toBeGreaterThan(0.29);
    }
  });
});

describe('ticks over ranges that are not finite', () => {
  it('gives none for an infinite end, where the decades would never end', () => {
    expect(logTicks(1e-15, Number.POSITIVE_INFINITY, 6)).toEqual([]);
    expect(niceTicks(0, Number.POSITIVE_INFINITY, 6, false)).toEqual([]);
    expect(niceTicks(-Number.MAX_VALUE, Number.MAX_VALUE, 6, false)).toEqual([]);
    expect(niceTicks(Number.NaN, 1, 6, false)).toEqual([]);
    expect(logTicks(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 6)).toEqual([]);
  });
});
