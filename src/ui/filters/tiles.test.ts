import { describe, expect, it } from 'vitest';
import { diverging, GAP, gridLayout, NAN_COLOUR, paintTiles, symmetricScale, vectorTile } from './tiles';

describe('diverging colour map', () => {
  it('is white at 0, blue below, red above, and clamps outside [-1, 1]', () => {
    expect(diverging(0)).toEqual([247, 247, 247]);
    const [r, , b] = diverging(-0.5);
    expect(b).toBeGreaterThan(r);
    const [r2, , b2] = diverging(0.5);
    expect(r2).toBeGreaterThan(b2);
    expect(diverging(-3)).toEqual(diverging(-1));
    expect(diverging(7)).toEqual([103, 0, 31]);
  });

  it('is symmetric in lightness: -t and t are equally far from white', () => {
    for (const t of [0.1, 0.37, 0.8, 1]) {
      const lightness = (c: number[]) => c[0] + c[1] + c[2];
      const [neg, pos] = [lightness(diverging(-t)), lightness(diverging(t))];
      expect(Math.abs(neg - pos)).toBeLessThan(120);
      expect(neg).toBeLessThan(3 * 247);
      expect(pos).toBeLessThan(3 * 247);
    }
  });
});

describe('symmetricScale', () => {
  it("is the span's largest |value|, or 1 for an all-zero span", () => {
    expect(symmetricScale([0.5, -2, 1, 9], 0, 3)).toBe(2);
    expect(symmetricScale([0, 0, 3], 0, 2)).toBe(1);
  });
});

describe('gridLayout', () => {
  it('puts up to 8 tiles a row for small counts, about twice as many columns as rows for large', () => {
    expect(gridLayout(6, 3, 3)).toMatchObject({ cols: 6, rows: 1, width: 6 * 3 + 5 * GAP, height: 3 });
    expect(gridLayout(16, 28, 28)).toMatchObject({ cols: 8, rows: 2, width: 8 * 28 + 7, height: 57 });
    expect(gridLayout(128, 28, 28)).toMatchObject({ cols: 16, rows: 8 });
    expect(gridLayout(1, 4, 32)).toMatchObject({ cols: 1, rows: 1, width: 32, height: 4 });
  });
});

describe('paintTiles', () => {
  it('scales each tile by its own largest |value| and leaves gaps and missing values transparent', () => {
    // Two 1x2 tiles: [1, -1] and [10, 5]; then a grid one tile wide to check the gap.
    const grid = gridLayout(2, 1, 2);
    const px = paintTiles([1, -1, 10, 5], grid);
    const at = (x: number) => [...px.slice(x * 4, x * 4 + 4)];
    expect(at(0)).toEqual([...diverging(1), 255]);
    expect(at(1)).toEqual([...diverging(-1), 255]);
    expect(at(2)).toEqual([0, 0, 0, 0]);
    expect(at(3)).toEqual([...diverging(1), 255]);
    expect(at(4)).toEqual([...diverging(0.5), 255]);
    // A 3-value vector in a 1x4 tile: the fourth pixel stays transparent.
    const short = paintTiles([1, 2, 3], gridLayout(1, 1, 4));
    expect(short[3 * 4 + 3]).toBe(0);
    expect(short[2 * 4 + 3]).toBe(255);
  });

  it('keeps rows as rows: a tile is drawn row-major, not transposed', () => {
    const grid = gridLayout(1, 2, 2);
    const px = paintTiles([0, 1, 0, 0], grid);
    // Value 1 is at row 0, column 1: pixel (x=1, y=0).
    expect([...px.slice(4, 8)]).toEqual([...diverging(1), 255]);
    expect([...px.slice(8, 12)]).toEqual([...diverging(0), 255]);
  });
});

describe('vectorTile', () => {
  it('wraps a vector 32 values a row', () => {
    expect(vectorTile(10)).toEqual({ tileH: 1, tileW: 10 });
    expect(vectorTile(128)).toEqual({ tileH: 4, tileW: 32 });
    expect(vectorTile(1568)).toEqual({ tileH: 49, tileW: 32 });
  });
});

describe('weights that are not numbers (a diverged run, an uploaded checkpoint)', () => {
  it('paints NaN grey and ±Infinity at the ends, the finite values on their own scale', () => {
    expect(diverging(Number.NaN)).toEqual(NAN_COLOUR);
    expect(diverging(Number.POSITIVE_INFINITY)).toEqual(diverging(1));
    expect(diverging(Number.NEGATIVE_INFINITY)).toEqual(diverging(-1));
    const values = [Number.NaN, Number.POSITIVE_INFINITY, 2, -1];
    expect(symmetricScale(values, 0, 4)).toBe(2);
    expect(symmetricScale([Number.NaN, Number.NEGATIVE_INFINITY], 0, 2)).toBe(1);
    const pixels = paintTiles(values, gridLayout(1, 2, 2));
    const at = (i: number) => Array.from(pixels.subarray(i * 4, i * 4 + 3));
    expect([at(0), at(1), at(2), at(3)]).toEqual([NAN_COLOUR, diverging(1), diverging(1), diverging(-0.5)]);
  });
});
