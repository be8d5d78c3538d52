/**
 * The y-axis of a scalar chart: its range from the values in view (all of them, or TensorBoard's
 * "ignore outliers" percentiles), with ticks, on a linear or log scale.
 */
import { logTicks, niceTicks } from './ticks';

/** A numeric axis: its ends and its ticks. */
export interface AxisRange {
  domain: [number, number];
  ticks: number[];
}

/** At most this many y ticks: a 200 px plot keeps ~30 px between labels. */
const Y_TICKS = 6;

/** Each end of the axis lies this fraction of the range beyond the data, as TensorBoard pads. */
const MARGIN = 0.05;

/** The central share of values an outlier-robust axis spans: the 5th to the 95th percentile. */
const ROBUST_QUANTILES = [0.05, 0.95] as const;

/** `v`, with an overflow to ±Infinity (a margin past values near 1e308) brought back to the largest double. */
const inRange = (v: number) => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, v));

/** The q-quantile of sorted values, interpolated linearly between neighbours. */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const i = Math.floor(at);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (at - i) : sorted[i];
}

/**
 * The y-axis for the finite `values` (positive ones on a log scale; the rest cannot be drawn), or
 * null when there are none. `robust`
 * spans the 5th-95th percentiles, so one diverging step does not flatten the rest of the curve.
 * A constant series (one point) gets a band centred on its value, with round ticks across it (the
 * value itself as a tick read 0.391634, too long for the axis).
 */
export function yAxisRange(values: readonly number[], log: boolean, robust: boolean): AxisRange | null {
  const sorted = values.filter((v) => Number.isFinite(v) && (!log || v > 0)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const [lo, hi] = robust
    ? ROBUST_QUANTILES.map((q) => quantile(sorted, q))
    : [sorted[0], sorted[sorted.length - 1]];
  if (lo === hi) {
    if (log) return { domain: [lo / 2, lo * 2], ticks: logTicks(lo / 2, lo * 2, Y_TICKS) };
    // Half a decade's step either side (0.1 gives 0.05-0.15): recharts' own axis ran through 0.
    const half = lo === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.abs(lo))) / 2;
    return { domain: [lo - half, lo + half], ticks: niceTicks(lo - half, lo + half, Y_TICKS, false) };
  }
  if (log) {
    const pad = (hi / lo) ** MARGIN;
    const domain: [number, number] = [lo / pad || Number.MIN_VALUE, inRange(hi * pad)];
    return { domain, ticks: logTicks(...domain, Y_TICKS) };
  }
  const pad = (hi - lo) * MARGIN;
  const domain: [number, number] = [inRange(lo - pad), inRange(hi + pad)];
  return { domain, ticks: niceTicks(...domain, Y_TICKS, false) };
}
