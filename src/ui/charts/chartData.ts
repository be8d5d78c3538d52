/** Turns runs' points for one tag into the rows recharts draws: one row per x, two columns per run. */
import { smoothScalars } from './smoothing';
import type { ChartRun, XAxisKind } from './types';

/**
 * One x position with, per run slot i, `raw{i}`, `smooth{i}` and `step{i}` where that run logged a
 * value, and for a group (a run with bands) `lo{i}` and `hi{i}`, its smoothed min and max.
 */
export type ChartRow = { x: number } & Record<string, number>;

/** Keys into a ChartRow for the run in slot i (indices, because run ids may hold characters recharts reads as paths). */
export const rowKeys = (i: number) => ({
  raw: `raw${i}`,
  smooth: `smooth${i}`,
  step: `step${i}`,
  lo: `lo${i}`,
  hi: `hi${i}`,
});

/**
 * Merges the visible runs' series for `tag`, smoothed, into rows sorted by x. On a log scale,
 * values that are not positive are dropped: they have no place on the axis.
 */
export function chartRows(
  runs: readonly ChartRun[],
  tag: string,
  smoothing: number,
  xAxis: XAxisKind,
  logScale: boolean,
): ChartRow[] {
  const rows = new Map<number, ChartRow>();
  runs.forEach((run, i) => {
    const points = run.series[tag];
    if (!points?.length) return;
    const smoothed = smoothScalars(
      points.map((p) => p.value),
      smoothing,
    );
    // A group's band is smoothed as its mean is, so the band holds the line it surrounds.
    const band = run.bands?.[tag];
    const lows =
      band &&
      smoothScalars(
        band.map((b) => b[0]),
        smoothing,
      );
    const highs =
      band &&
      smoothScalars(
        band.map((b) => b[1]),
        smoothing,
      );
    const t0 = points[0].wallTime;
    const keys = rowKeys(i);
    points.forEach((p, j) => {
      if (logScale && !(p.value > 0 && smoothed[j] > 0)) return;
      const x = xAxis === 'step' ? p.step : xAxis === 'epoch' ? p.epoch : (p.wallTime - t0) / 1000;
      let row = rows.get(x);
      if (!row) rows.set(x, (row = { x } as ChartRow));
      row[keys.raw] = p.value;
      row[keys.smooth] = smoothed[j];
      row[keys.step] = p.step;
      if (lows && highs && (!logScale || (lows[j] > 0 && highs[j] > 0))) {
        row[keys.lo] = lows[j];
        row[keys.hi] = highs[j];
      }
    });
  });
  return [...rows.values()].sort((a, b) => a.x - b.x);
}

/** The x range the rows cover (they are sorted by x), or null when there are none. */
export function xExtent(rows: readonly ChartRow[]): [number, number] | null {
  return rows.length ? [rows[0].x, rows[rows.length - 1].x] : null;
}

/**
 * The raw and smoothed values of the rows whose x lies in [lo, hi]: what the y-axis spans, so a
 * zoomed chart's y-axis follows the data in view.
 */
export function valuesInRange(rows: readonly ChartRow[], [lo, hi]: readonly [number, number]): number[] {
  const values: number[] = [];
  for (const row of rows) {
    if (row.x < lo || row.x > hi) continue;
    for (const [key, v] of Object.entries(row))
      if (/^(raw|smooth|lo|hi)\d/.test(key) && Number.isFinite(v)) values.push(v);
  }
  return values;
}

/** How many points each of the first `runs` run slots has in `rows`. */
export function pointCounts(rows: readonly ChartRow[], runs: number): number[] {
  return Array.from({ length: runs }, (_, i) => rows.filter((r) => r[rowKeys(i).raw] !== undefined).length);
}
