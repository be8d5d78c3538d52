/**
 * Weights and feature maps as a grid of small images: a diverging colour map centred on 0 (blue
 * negative, white zero, red positive, like matplotlib's RdBu_r), each tile scaled symmetrically by
 * its own largest |value| so its sign stays readable, laid out row-major with a 1 px gap.
 */

/** A grid of `count` tiles, each `tileH` x `tileW` pixels. */
export interface GridLayout {
  count: number;
  tileH: number;
  tileW: number;
  cols: number;
  rows: number;
  /** The whole grid in pixels, gaps included. */
  width: number;
  height: number;
}

/** Pixels between tiles (left transparent, so the page shows through). */
export const GAP = 1;

/** Colour stops from -1 to 1: dark blue, blue, white, red, dark red. */
const STOPS: [number, number, number][] = [
  [5, 48, 97],
  [67, 147, 195],
  [247, 247, 247],
  [214, 96, 77],
  [103, 0, 31],
];

/**
 * The colour of values that are not numbers (NaN weights of a diverged run): a mid grey, apart from
 * the map, as matplotlib's colormaps set aside a colour for bad values.
 */
export const NAN_COLOUR: [number, number, number] = [128, 128, 128];

/** The colour of `t` in [-1, 1] (clamped, so ±Infinity takes an end) on the diverging map; 0 is white, NaN grey. */
export function diverging(t: number): [number, number, number] {
  if (Number.isNaN(t)) return NAN_COLOUR;
  const x = ((Math.max(-1, Math.min(1, t)) + 1) / 2) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/**
 * The largest finite |value| of `values[start, end)`, or 1 when there is none above 0 (a blank tile
 * stays white); NaN and infinities are left out, so one of them leaves the rest readable.
 */
export function symmetricScale(values: ArrayLike<number>, start: number, end: number): number {
  let m = 0;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i]);
    if (a > m && a !== Number.POSITIVE_INFINITY) m = a;
  }
  return m > 0 ? m : 1;
}

/**
 * A grid for `count` tiles: wider than tall, so a layer's maps read along a line (8 per row up to
 * 32 tiles, then about twice as many columns as rows).
 */
export function gridLayout(count: number, tileH: number, tileW: number): GridLayout {
  const cols = Math.max(1, Math.min(count, Math.max(8, Math.ceil(Math.sqrt(2 * count)))));
  const rows = Math.ceil(count / cols);
  return {
    count,
    tileH,
    tileW,
    cols,
    rows,
    width: cols * tileW + (cols - 1) * GAP,
    height: rows * tileH + (rows - 1) * GAP,
  };
}

/**
 * RGBA pixels of the grid: tile i holds `values[i * tileH * tileW ...]`, row-major, each tile on its
 * own symmetric scale; pixels past the values (a short last tile) and the gaps are transparent.
 */
export function paintTiles(values: ArrayLike<number>, grid: GridLayout): Uint8ClampedArray<ArrayBuffer> {
  const { tileH, tileW, cols, width } = grid;
  const out = new Uint8ClampedArray(grid.width * grid.height * 4);
  const size = tileH * tileW;
  for (let t = 0; t < grid.count; t++) {
    const start = t * size;
    const end = Math.min(values.length, start + size);
    const scale = symmetricScale(values, start, end);
    const x0 = (t % cols) * (tileW + GAP);
    const y0 = Math.floor(t / cols) * (tileH + GAP);
    for (let i = start; i < end; i++) {
      const p = i - start;
      const at = ((y0 + Math.floor(p / tileW)) * width + x0 + (p % tileW)) * 4;
      out.set(diverging(values[i] / scale), at);
      out[at + 3] = 255;
    }
  }
  return out;
}

/**
 * How a flat vector of `n` values is drawn: one tile, up to 32 values a row, so a Linear's 128
 * outputs make a 4 x 32 block and 10 logits one row.
 */
export function vectorTile(n: number): { tileH: number; tileW: number } {
  const tileW = Math.max(1, Math.min(n, 32));
  return { tileH: Math.ceil(n / tileW), tileW };
}
