/** Drag-to-zoom maths: from the pixels a drag spans to the x range it selects. */

/** The plot area's horizontal extent, in pixels from the chart's left edge. */
export interface PlotSpan {
  left: number;
  width: number;
}

/** A drag narrower than this is a click (or a double-click), not a zoom. */
export const MIN_DRAG_PX = 4;

/** The pixel's place in the plot, from 0 at its left edge to 1 at its right, held inside the plot. */
export function plotFraction(px: number, plot: PlotSpan): number {
  return Math.min(1, Math.max(0, (px - plot.left) / plot.width));
}

/**
 * The x range a drag from `px0` to `px1` (either way) selects on a plot showing `domain`, or null
 * for a click. On an `integer` axis (steps) the range widens to whole steps, so it always holds one.
 */
export function zoomRange(
  px0: number,
  px1: number,
  plot: PlotSpan,
  [lo, hi]: readonly [number, number],
  integer: boolean,
): [number, number] | null {
  if (Math.abs(px1 - px0) < MIN_DRAG_PX) return null;
  const at = (px: number) => lo + (hi - lo) * plotFraction(px, plot);
  let [a, b] = [at(Math.min(px0, px1)), at(Math.max(px0, px1))];
  if (integer) [a, b] = [Math.floor(a), Math.ceil(b)];
  return b > a ? [a, b] : null;
}
