import { describe, expect, it } from 'vitest';
import { smoothScalars } from './smoothing';

describe('smoothScalars (TensorBoard debiased EMA)', () => {
  it('matches hand-computed values at weight 0.6', () => {
    // m1 = 0.4·1 = 0.4,              s1 = 0.4 / 0.4 = 1
    // m2 = 0.6·0.4 + 0.4·2 = 1.04,   s2 = 1.04 / 0.64 = 1.625
    // m3 = 0.6·1.04 + 0.4·3 = 1.824, s3 = 1.824 / 0.784 = 2.326530612...
    const s = smoothScalars([1, 2, 3], 0.6);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.625, 12);
    expect(s[2]).toBeCloseTo(1.824 / 0.784, 12);
  });

  it('matches hand-computed values at weight 0.9 on a falling loss', () => {
    // m1 = 0.1·4 = 0.4,               s1 = 0.4 / 0.1 = 4
    // m2 = 0.9·0.4 + 0.1·2 = 0.56,    s2 = 0.56 / 0.19 = 2.947368...
    // m3 = 0.9·0.56 + 0.1·1 = 0.604,  s3 = 0.604 / 0.271 = 2.228782...
    const s = smoothScalars([4, 2, 1], 0.9);
    expect(s[0]).toBeCloseTo(4, 12);
    expect(s[1]).toBeCloseTo(0.56 / 0.19, 12);
    expect(s[2]).toBeCloseTo(0.604 / 0.271, 12);
  });

  it('returns the raw series at weight 0', () => {
    expect(smoothScalars([3, -1, 7.5], 0)).toEqual([3, -1, 7.5]);
  });

  it('passes non-finite values through without counting them', () => {
    // NaN is skipped: the third point is the second accumulated one, as in [1, 3] alone.
    const s = smoothScalars([1, Number.NaN, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeNaN();
    // m1 = 0.5, m2 = 0.25 + 1.5 = 1.75, s2 = 1.75 / 0.75
    expect(s[2]).toBeCloseTo(1.75 / 0.75, 12);
  });

  it('leaves a constant series exactly constant', () => {
    expect(smoothScalars([0.1, 0.1, 0.1, 0.1], 0.99)).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('handles an empty series', () => {
    expect(smoothScalars([], 0.6)).toEqual([]);
  });
});
