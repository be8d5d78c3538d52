/**
 * The y-axis of a scalar chart: its range from the values drawn in view (all of them, or each
 * run's 5th-95th percentile with diverged runs left out: "ignore outliers"), with ticks, on a
 * linear or log scale.
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

/** The share of a run's values an outlier-robust axis trims from each end (TensorBoard's 5th-95th percentile). */
const TRIM = 0.05;

/** `v`, with an overflow to ±Infinity (a margin past values near 1e308) brought back to the largest double. */
const inRange = (v: number) => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, v));

/**
 * The range of sorted values without the lowest and highest TRIM of them: whole values dropped,
 * none of a run with under 20 (a run's two validation points are both its data, not outliers).
 */
export function trimmedRange(sorted: readonly number[]): [number, number] {
  const k = Math.floor(sorted.length * TRIM);
  return [sorted[k], sorted[sorted.length - 1 - k]];
}

/** One run's values in view, as the y-axis weighs them. */
export interface AxisRun {
  /** Its raw and smoothed values drawn in view (chartData's valuesInView). */
  raw: readonly number[];
  smooth: readonly number[];
  /** It logged values that are not finite in view. */
  nonFinite: boolean;
  /** The trainer stopped it: its loss diverged. */
  diverged: boolean;
}

/** A y-axis, and the runs an outlier-robust one left out of its range (their lines run off the plot). */
export interface YAxis extends AxisRange {
  /** Indices into the runs given, each with why: only runs with values beyond the range are named. */
  leftOut: { run: number; why: 'diverged' | 'not finite' }[];
}

/**
 * The y-axis for the runs' values in view: every finite value (positive ones on a log scale; the
 * rest cannot be drawn) of every run, raw and smoothed, or null when there are none. `robust`
 * ("ignore outliers") scales per run: each run's raw values without its top and bottom 5%, so one
 * diverging step does not flatten its curve, and leaves out the runs that diverged or logged values
 * that are not finite, so they do not flatten the healthy runs' curves: those are named in
 * `leftOut` where their lines leave the plot. Left with no run, it spans them all.
 */
export function yAxisRange(runs: readonly AxisRun[], log: boolean, robust: boolean): YAxis | null {
  const drawable = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const sorted = (values: readonly number[]) => values.filter(drawable).sort((a, b) => a - b);
  const spanned = (kept: readonly AxisRun[]): [number, number] | null => {
    let [lo, hi] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (const run of kept) {
      const values = robust ? sorted(run.raw) : sorted([...run.raw, ...run.smooth]);
      if (!values.length) continue;
      const [a, b] = robust ? trimmedRange(values) : [values[0], values[values.length - 1]];
      [lo, hi] = [Math.min(lo, a), Math.max(hi, b)];
    }
    return lo <= hi ? [lo, hi] : null;
  };
  const outlier = (run: AxisRun) => robust && (run.diverged || run.nonFinite);
  const healthy = spanned(runs.filter((r) => !outlier(r)));
  const range = healthy ?? spanned(runs);
  if (!range) return null;
  const axis = axisOver(range, log);
  const [bottom, top] = axis.domain;
  const leftOut = runs.flatMap((run, i) => {
    if (!outlier(run) || !healthy) return [];
    const beyond = [...run.raw, ...run.smooth].some((v) => drawable(v) && (v < bottom || v > top));
    if (!beyond && !run.nonFinite) return [];
    return [{ run: i, why: run.nonFinite ? ('not finite' as const) : ('diverged' as const) }];
  });
  return { ...axis, leftOut };
}

/**
 * The padded axis over [lo, hi]. A constant series (one point) gets a band centred on its value,
 * with round ticks across it (the value itself as a tick read 0.391634, too long for the axis).
 */
function axisOver([lo, hi]: [number, number], log: boolean): AxisRange {
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
