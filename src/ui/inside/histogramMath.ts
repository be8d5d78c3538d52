/**
 * The maths of the Histograms and Distributions views, kept apart from drawing: how many
 * histograms a tag keeps, percentiles read off the bins, and where each stacked slice is drawn.
 */
import type { HistogramSample } from '../../worker/protocol';

/** One tag's histogram at a step, as the page keeps it. */
export interface HistogramPoint extends Omit<HistogramSample, 'tag'> {
  step: number;
  /** Milliseconds since the Unix epoch. */
  wallTime: number;
}

/** Histograms kept per tag: TensorBoard's reservoir keeps 500; a page in memory keeps fewer. */
export const MAX_KEPT = 100;

/**
 * `points` with `p` appended, in step order: points at or after p's step (logged again by a resumed
 * run) are replaced, and past `max` every other older point is dropped, so the history thins evenly
 * while the newest point always stays.
 */
export function keepPoint(
  points: readonly HistogramPoint[],
  p: HistogramPoint,
  max = MAX_KEPT,
): HistogramPoint[] {
  const out = [...points.filter((q) => q.step < p.step), p];
  if (out.length <= max) return out;
  return out.filter((_, i) => i % 2 === 0 || i === out.length - 1);
}

/**
 * TensorBoard's Distributions percentiles: the minimum, the normal's -1.5, -1, -0.5 sigma points,
 * the median, their mirror images, and the maximum.
 */
export const DISTRIBUTION_PERCENTILES = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100];

/** What a percentile needs of a histogram. */
type Bins = Pick<HistogramPoint, 'lo' | 'hi' | 'counts' | 'min' | 'max'>;

/**
 * The `qs` percentiles (0 to 100) of the values a histogram counted, interpolated linearly inside
 * the bin where each falls; 0 and 100 are the exact minimum and maximum. NaN when nothing finite
 * was counted.
 */
export function percentiles(h: Bins, qs: readonly number[]): number[] {
  const total = h.counts.reduce((a, b) => a + b, 0);
  const width = (h.hi - h.lo) / h.counts.length;
  return qs.map((q) => {
    if (total === 0) return Number.NaN;
    if (q <= 0) return h.min;
    if (q >= 100) return h.max;
    const target = (q / 100) * total;
    let below = 0;
    for (let i = 0; i < h.counts.length; i++) {
      const c = h.counts[i];
      if (c > 0 && below + c >= target) {
        const x = h.lo + (i + (target - below) / c) * width;
        return Math.min(h.max, Math.max(h.min, x));
      }
      below += c;
    }
    return h.max;
  });
}

/** One histogram of the stacked view: an SVG path and the baseline it stands on. */
export interface Slice {
  step: number;
  baseline: number;
  path: string;
}

/** The value range shared by histograms: their finite extremes ([-1, 1] around a lone constant). */
export function valueRange(points: readonly HistogramPoint[]): [number, number] {
  const finite = points.filter((p) => Number.isFinite(p.min) && Number.isFinite(p.max));
  if (!finite.length) return [-1, 1];
  const lo = finite.reduce((a, p) => Math.min(a, p.min), Number.POSITIVE_INFINITY);
  const hi = finite.reduce((a, p) => Math.max(a, p.max), Number.NEGATIVE_INFINITY);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/**
 * TensorBoard's offset histograms: each point's bins as a filled outline over the shared value
 * range (x across `width`), heights scaled by the tallest bin of all to `sliceHeight`, baselines
 * spread by step from `sliceHeight` (the oldest, at the back) down to `height` (the newest, in
 * front). In step order, so drawing them in turn puts newer slices in front.
 */
export function offsetSlices(
  points: readonly HistogramPoint[],
  width: number,
  height: number,
  sliceHeight: number,
): Slice[] {
  if (!points.length) return [];
  const [lo, hi] = valueRange(points);
  const x = (v: number) => ((v - lo) / (hi - lo)) * width;
  const tallest = points.reduce((a, p) => p.counts.reduce((b, c) => Math.max(b, c), a), 1);
  const first = points[0].step;
  const span = points[points.length - 1].step - first;
  const fmt = (v: number) => Number(v.toFixed(1));
  return points.map((p) => {
    const baseline = span === 0 ? height : sliceHeight + ((p.step - first) / span) * (height - sliceHeight);
    const w = (p.hi - p.lo) / p.counts.length;
    // A constant tensor has a zero-width range: its one bin stands at its value.
    const centre = (i: number) => (w === 0 ? p.lo : p.lo + (i + 0.5) * w);
    const tops = Array.from(
      p.counts,
      (c, i) => `L${fmt(x(centre(i)))},${fmt(baseline - (c / tallest) * sliceHeight)}`,
    );
    const path = `M${fmt(x(p.lo))},${fmt(baseline)}${tops.join('')}L${fmt(x(p.hi))},${fmt(baseline)}Z`;
    return { step: p.step, baseline, path };
  });
}
