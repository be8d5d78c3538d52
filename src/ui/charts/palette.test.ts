import { describe, expect, it } from 'vitest';
import { contrastRatio as contrast, linearRgb as rgb } from '../color';
import { RUN_COLORS } from './palette';

/** CIE L*a*b* under D65. */
const lab = (hex: string) => {
  const [r, g, b] = rgb(hex);
  const xyz = [
    (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
  ];
  const [fx, fy, fz] = xyz.map((t) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116));
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
};

/** CIE76 colour difference: the Euclidean distance in L*a*b*. */
const deltaE76 = (a: string, b: string) => Math.hypot(...lab(a).map((v, i) => v - lab(b)[i]));

describe('run colours', () => {
  it('has 12 colours, pairwise far apart', () => {
    expect(RUN_COLORS).toHaveLength(12);
    // ΔE76 ≈ 2.3 is a just-noticeable difference between two large patches. Thin lines and 10 px
    // swatches need about ten times that to be told apart at a glance, so 20 is the bar.
    let closest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < RUN_COLORS.length; i++)
      for (let j = i + 1; j < RUN_COLORS.length; j++)
        closest = Math.min(closest, deltaE76(RUN_COLORS[i], RUN_COLORS[j]));
    expect(closest).toBeGreaterThan(20);
  });

  it('gives every colour 3:1 contrast on the light and the dark chart surface', () => {
    for (const color of RUN_COLORS) {
      expect(contrast(color, '#ffffff')).toBeGreaterThanOrEqual(3);
      expect(contrast(color, '#1a1d23')).toBeGreaterThanOrEqual(3);
    }
  });

  it('measures ΔE76 as expected: black to white is 100', () => {
    expect(deltaE76('#000000', '#ffffff')).toBeCloseTo(100, 1);
  });
});
