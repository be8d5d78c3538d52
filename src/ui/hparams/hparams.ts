/**
 * The hyperparameter view's arithmetic, apart from React: which settings vary among the runs, each
 * one's axis (log where its values span decades, like lr; categories for text), the brushes that
 * filter runs by ranges of those axes, and a group's mean and min/max (W&B's grouping over seeds).
 */
import { labelOf, SETTINGS, type TrainConfig } from 'kiln/config';
import { formatTick } from '../charts/format';
import { runSearch } from '../charts/runFilter';
import { extent, makeScale } from '../inside/scale';
import { settingText } from '../runs/runRecord';
import type { RunRecord } from '../store/runsSlice';

/** A setting's value as the view compares it: a number, or its text (optimizer names, "off"). */
export type HparamValue = number | string;

/** Something runs are compared by: a setting, or a final metric. */
export interface Hparam {
  key: string;
  /** Short, for an axis head (the CLI flag: lr, batch-size). */
  short: string;
  /** In full, for a column head or a title (Learning rate). */
  label: string;
  value: (run: RunRecord) => HparamValue | null;
  /**
   * Measured from the data unless set (image normalisation's mean and std, computed on each run's
   * own training split): it differs between seeds without being chosen, so it gets no axis of
   * its own (it can still be a column).
   */
  derived?: true;
}

/** A final metric: its value (null before the run has one), and which way is better. */
export interface Metric extends Hparam {
  value: (run: RunRecord) => number | null;
  higherIsBetter: boolean;
  format: (v: number) => string;
}

/** The last value a run logged under `tag`, or null. */
function lastValue(run: RunRecord, tag: string): number | null {
  const points = run.series[tag];
  return points?.length ? points[points.length - 1].value : null;
}

/** The metrics the last axis, the line colours and the table's statistics can show. */
export const METRICS: readonly Metric[] = [
  {
    key: 'valAcc',
    short: 'val acc',
    label: 'Val accuracy',
    value: (r) => r.lastEpoch?.valAcc ?? null,
    higherIsBetter: true,
    format: (v) => `${(v * 100).toFixed(2)}%`,
  },
  {
    key: 'valLoss',
    short: 'val loss',
    label: 'Val loss',
    value: (r) => r.lastEpoch?.valLoss ?? null,
    higherIsBetter: false,
    format: (v) => v.toFixed(4),
  },
  {
    key: 'trainLoss',
    short: 'train loss',
    label: 'Train loss (last)',
    value: (r) => lastValue(r, 'Loss/train'),
    higherIsBetter: false,
    format: (v) => v.toFixed(4),
  },
];

/** The metric called `key` (the first, val accuracy, for an unknown key). */
export function metricOf(key: string): Metric {
  return METRICS.find((m) => m.key === key) ?? METRICS[0];
}

/** Every setting a run has: model, dataset, then the settings table's fields, in its order. */
export const HPARAMS: readonly Hparam[] = [
  { key: 'model', short: 'model', label: 'Model', value: (r) => r.model.name },
  { key: 'dataset', short: 'dataset', label: 'Dataset', value: (r) => r.dataset || null },
  ...(Object.keys(SETTINGS) as (keyof TrainConfig)[]).map((key) => ({
    key,
    short: SETTINGS[key].flag ?? key,
    label: labelOf(SETTINGS[key]),
    ...(key === 'mean' || key === 'std' ? { derived: true as const } : {}),
    value: (r: RunRecord) => {
      const v = r.config[key];
      return typeof v === 'number' ? v : settingText(key, r.config);
    },
  })),
];

/** The setting or metric called `key`, or undefined. */
export function hparamOf(key: string): Hparam | undefined {
  return HPARAMS.find((h) => h.key === key) ?? METRICS.find((m) => m.key === key);
}

/** The settings chosen (not derived) whose values differ among `runs`: the axes worth drawing. */
export function varyingHparams(runs: readonly RunRecord[]): Hparam[] {
  return HPARAMS.filter((h) => !h.derived && new Set(runs.map((r) => String(h.value(r)))).size > 1);
}

/** One tick of an axis: where it sits (0 the bottom, 1 the top) and its label. */
export interface AxisTick {
  at: number;
  label: string;
}

/**
 * An axis of the parallel-coordinates chart. `position` maps a value to 0 (bottom) .. 1 (top), or
 * null for a value it cannot place (a null, a non-finite metric, zero on a log axis).
 */
export interface Axis {
  key: string;
  kind: 'linear' | 'log' | 'category';
  position: (v: HparamValue | null) => number | null;
  ticks: AxisTick[];
  /** A categorical axis's values, bottom to top. */
  categories: string[];
  /** A numeric axis's value at a position (0..1); NaN on a categorical axis. */
  valueAt: (at: number) => number;
}

/** Values span at least this ratio (a decade) before a numeric axis turns logarithmic. */
const LOG_RATIO = 10;

/**
 * The axis for `values`: numeric when every value is a number (log when all are positive and the
 * largest is at least ten times the smallest, like lr 1e-4..1e-1), else categorical, its
 * categories sorted (numbers among text by value) and spread evenly, a lone one in the middle.
 */
export function makeAxis(key: string, values: readonly (HparamValue | null)[]): Axis {
  const present = values.filter((v) => v !== null);
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number');
  if (numeric) {
    const nums = present as number[];
    const [lo, hi] = extent(nums);
    const log = lo > 0 && hi / lo >= LOG_RATIO;
    if (log) {
      const [a, b] = [Math.log10(lo), Math.log10(hi)];
      const at = (v: number) => (b === a ? 0.5 : (Math.log10(v) - a) / (b - a));
      // makeScale's decade ticks, kept to those inside the values' range, plus its ends.
      const decades = makeScale(lo, hi, 0, 1, true).ticks.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
      return {
        key,
        kind: 'log',
        position: (v) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? at(v) : null),
        ticks: uniqueTicks([lo, ...decades, hi].map((t) => ({ at: at(t), label: tickLabelOf(t) }))),
        categories: [],
        valueAt: (p) => 10 ** (a + p * (b - a)),
      };
    }
    const at = (v: number) => (hi === lo ? 0.5 : (v - lo) / (hi - lo));
    // Whole-number settings (seeds, batch sizes) get whole-number ticks only: no seed 1.5.
    const whole = nums.every(Number.isInteger);
    const inner =
      hi === lo
        ? []
        : makeScale(lo, hi, 0, 1).ticks.filter((t) => t > lo && t < hi && (!whole || Number.isInteger(t)));
    return {
      key,
      kind: 'linear',
      position: (v) => (typeof v === 'number' && Number.isFinite(v) ? at(v) : null),
      ticks: uniqueTicks([lo, ...inner, hi].map((t) => ({ at: at(t), label: tickLabelOf(t) }))),
      categories: [],
      valueAt: (p) => (hi === lo ? lo : lo + p * (hi - lo)),
    };
  }
  const categories = [...new Set(present.map(String))].sort((x, y) =>
    x.localeCompare(y, 'en', { numeric: true }),
  );
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  return {
    key,
    kind: 'category',
    position: (v) => {
      const i = v === null ? -1 : categories.indexOf(String(v));
      return i < 0 ? null : at(i);
    },
    ticks: categories.map((c, i) => ({ at: at(i), label: c })),
    categories,
    valueAt: () => Number.NaN,
  };
}

/** A number as an axis names it: 0.01 and 1e-4 as written, 32 as 32 (the scalar charts' ticks). */
function tickLabelOf(v: number): string {
  return formatTick(Number(v.toPrecision(3)));
}

/**
 * Ticks without repeats of a place or a label, nor two closer than a label's height: the range's
 * ends (the first and last given) are kept first, then the inner ticks that still fit.
 */
function uniqueTicks(ticks: AxisTick[]): AxisTick[] {
  const ordered = ticks.length > 1 ? [ticks[0], ticks[ticks.length - 1], ...ticks.slice(1, -1)] : ticks;
  const out: AxisTick[] = [];
  for (const t of ordered)
    if (!out.some((o) => Math.abs(o.at - t.at) < 0.07 || o.label === t.label)) out.push(t);
  return out.sort((x, y) => x.at - y.at);
}

/**
 * A brush on one axis: the runs whose value lies in [lo, hi] (a numeric axis), or is one of
 * `values` (a categorical one), pass.
 */
export type Brush = { key: string; lo: number; hi: number } | { key: string; values: string[] };

/**
 * The brush that a drag from position `from` to `to` (0 bottom, 1 top, either order) on `axis`
 * makes: the value range under it, or the categories it covers; null when it covers none.
 */
export function brushOf(axis: Axis, from: number, to: number): Brush | null {
  const [a, b] = [Math.max(0, Math.min(from, to)), Math.min(1, Math.max(from, to))];
  if (axis.kind === 'category') {
    const values = axis.categories.filter((c) => {
      const p = axis.position(c);
      return p !== null && p >= a && p <= b;
    });
    return values.length ? { key: axis.key, values } : null;
  }
  return { key: axis.key, lo: axis.valueAt(a), hi: axis.valueAt(b) };
}

/** Where a brush lies on its axis, [bottom, top] in 0..1; null when it covers nothing there. */
export function brushSpan(axis: Axis, brush: Brush): [number, number] | null {
  if ('values' in brush) {
    const at = brush.values.map((v) => axis.position(v)).filter((p) => p !== null);
    if (!at.length) return null;
    // A category's brush reaches half-way to its neighbours, so a single one is still a band.
    const half = axis.categories.length > 1 ? 0.5 / (axis.categories.length - 1) : 0.5;
    return [Math.max(0, Math.min(...at) - half), Math.min(1, Math.max(...at) + half)];
  }
  const [lo, hi] = [axis.position(brush.lo), axis.position(brush.hi)];
  return lo === null || hi === null ? null : [Math.max(0, lo), Math.min(1, hi)];
}

/** Relative slack on a numeric brush's ends, so a value drawn on its edge is inside it. */
const EDGE = 1e-9;

/** Whether `run` passes every brush (a brush on a setting or metric it has no value of fails it). */
export function passesBrushes(run: RunRecord, brushes: readonly Brush[]): boolean {
  return brushes.every((b) => {
    const h = hparamOf(b.key);
    if (!h) return true;
    const v = h.value(run);
    if (v === null) return false;
    if ('values' in b) return b.values.includes(String(v));
    if (typeof v !== 'number') return false;
    const slack = (Math.abs(b.lo) + Math.abs(b.hi)) * EDGE;
    return v >= b.lo - slack && v <= b.hi + slack;
  });
}

/** A brush as words: "lr 0.001 to 0.01", "optimizer: adam, sgd". */
export function brushText(brush: Brush): string {
  const h = hparamOf(brush.key);
  const name = h?.short ?? brush.key;
  if ('values' in brush) return `${name}: ${brush.values.join(', ')}`;
  return `${name} ${tickLabelOf(brush.lo)} to ${tickLabelOf(brush.hi)}`;
}

/** A group's summary of a metric over its runs' finite values: mean, min, max and how many. */
export interface GroupStats {
  mean: number;
  min: number;
  max: number;
  n: number;
}

/** The mean, min and max of the finite `values`; null when there is none. */
export function groupStats(values: readonly (number | null)[]): GroupStats | null {
  const ok = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!ok.length) return null;
  let [sum, min, max] = [0, Infinity, -Infinity];
  for (const v of ok) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { mean: sum / ok.length, min, max, n: ok.length };
}

/** Runs grouped by their value of `hparam`, groups in the axis's order (numbers by value). */
export function groupRuns(
  runs: readonly RunRecord[],
  hparam: Hparam,
): { value: HparamValue | null; label: string; runs: RunRecord[] }[] {
  const groups = new Map<string, { value: HparamValue | null; label: string; runs: RunRecord[] }>();
  for (const run of runs) {
    const value = hparam.value(run);
    const label = value === null ? '—' : typeof value === 'number' ? tickLabelOf(value) : value;
    const key = String(value);
    const g = groups.get(key) ?? { value, label, runs: [] };
    g.runs.push(run);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) =>
    typeof a.value === 'number' && typeof b.value === 'number'
      ? a.value - b.value
      : String(a.value).localeCompare(String(b.value), 'en', { numeric: true }),
  );
}

/**
 * The runs the page shows: those the run filter finds (by name, tag or notes) that pass every
 * brush. The hyperparameter axes are drawn from the filter's runs alone, so a brush does not
 * move the axis it lies on.
 */
export function shownRuns(
  runs: readonly RunRecord[],
  filter: string,
  brushes: readonly Brush[],
): RunRecord[] {
  const found = runSearch(filter);
  return runs.filter((r) => found(r) && passesBrushes(r, brushes));
}

/** Colours from the worst value of a metric to the best: blue, purple, red, orange (RUN_COLORS' hues, 3:1 on both surfaces). */
const RAMP = ['#2f6fd0', '#8d5cd6', '#d43d51', '#d9590b'] as const;

/** The ramp's colour at `t` (0 the worst, 1 the best), interpolated in RGB between its stops. */
export function rampColor(t: number): string {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const rgb = (hex: string) => [1, 3, 5].map((k) => Number.parseInt(hex.slice(k, k + 2), 16));
  const [a, b] = [rgb(RAMP[i]), rgb(RAMP[i + 1])];
  return `#${a
    .map((v, k) =>
      Math.round(v + (b[k] - v) * f)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** The CSS gradient of the ramp, worst on the left: the colour legend's bar. */
export const RAMP_GRADIENT = `linear-gradient(to right, ${RAMP.join(', ')})`;
