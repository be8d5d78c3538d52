import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { contrastRatio, mixSrgb, textOn } from '../color';
import { ConfusionMatrix, cellColors, HEAT, SURFACE } from './ConfusionMatrix';

/** WCAG AA's contrast for text of the cells' size (11.5 px). */
const AA = 4.5;

describe('confusion matrix colours', () => {
  it('gives every cell colour the scale can produce 4.5:1 between its number and its background', () => {
    // A share is a count over its row's total: any fraction from 1/total to 1. 20,000 steps cover
    // the whole range finer than one 8-bit channel step of the mix.
    let worst = Number.POSITIVE_INFINITY;
    for (const scheme of ['light', 'dark'] as const)
      for (const diagonal of [true, false])
        for (let i = 0; i <= 20_000; i++) {
          const { background, color } = cellColors(i / 20_000, diagonal, scheme);
          worst = Math.min(worst, contrastRatio(background, color));
        }
    expect(worst).toBeGreaterThanOrEqual(AA);
  });

  it('draws each non-empty cell with those colours, never white on a mid-tone', () => {
    // A 3-class matrix whose cells hold shares from 1/40 to 1 of their rows, the diagonal's
    // 0.5-0.6 included (where white text on the old translucent mix read about 2.8:1).
    const counts = [
      [22, 17, 1],
      [0, 40, 0],
      [9, 7, 24],
    ];
    const html = renderToStaticMarkup(createElement(ConfusionMatrix, { counts }));
    const cells = [...html.matchAll(/<td[^>]*style="background:(#[0-9a-f]{6});color:(#[0-9a-f]{6})"/g)];
    expect(cells).toHaveLength(counts.flat().filter((v) => v > 0).length);
    for (const [, background, color] of cells)
      expect(contrastRatio(background, color)).toBeGreaterThanOrEqual(AA);
    // The diagonal cell of row 0 (22 of 40) is the 15 + 0.55 * 85 = 62% mix of green over white.
    expect(cells[0][1]).toBe(mixSrgb(HEAT.ok, SURFACE.light, 0.15 + (22 / 40) * 0.85));
  });

  it('measures contrast as WCAG does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 6);
    expect(contrastRatio('#777777', '#777777')).toBe(1);
    // White on the old 57% green over white, the 2.8:1.
    expect(contrastRatio('#ffffff', mixSrgb(HEAT.ok, '#ffffff', 0.57))).toBeLessThan(3);
    expect(textOn('#15803d')).toBe('#ffffff');
    expect(textOn('#ffffff')).toBe('#000000');
    expect(() => mixSrgb('red', '#ffffff', 0.5)).toThrow('not a #rrggbb colour: red');
  });
});
