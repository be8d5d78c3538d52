/** Turns runs' points for one tag into the rows recharts draws: one row per x, two columns per run. */
import { smoothScalars } from './smoothing';
import type { ChartRun, XAxisKind } from './types';

/** One x position with, per run slot i, `raw{i}`, `smooth{i}` and `step{i}` where that run logged a value. */
export type ChartRow = { x: number } & Record<string, number>;

/** Keys into a ChartRow for the run in slot i (indices, because run ids may hold characters recharts reads as paths). */
export const rowKeys = (i: number) => ({ raw: `raw${i}`, smooth: `smooth${i}`, step: `step${i}` });

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
    });
  });
  return [...rows.values()].sort((a, b) => a.x - b.x);
}

/** The x range the rows cover (they are sorted by x), or null when there are none. */
export function xExtent(rows: readonly ChartRow[]): [number, number] | null {
  return rows.length ? [rows[0].x, rows[rows.length - 1].x] : null;
}

/** One run's values as drawn in an x range: what its y-axis must hold. */
export interface RunValuesInView {
  /** Its raw and smoothed values in the range, and where its lines cross the range's edges. */
  raw: number[];
  smooth: number[];
  /** Whether it logged a value that is not finite (NaN, an infinity) in the range: that is not drawn. */
  nonFinite: boolean;
}

/**
 * Per run slot, the values drawn where x lies in [lo, hi]: each point in the range and, where a
 * line runs from a point inside (or beyond) to one beyond an edge, its height at that edge (zoomed,
 * the curves are clipped there, not ended at their last point inside, so the axis must hold that
 * height too). Lines are straight between a run's points, skipping rows without one (recharts'
 * connectNulls), on a `log` axis straight in log y.
 */
export function valuesInView(
  rows: readonly ChartRow[],
  runs: number,
  [lo, hi]: readonly [number, number],
  log: boolean,
): RunValuesInView[] {
  const between = (v0: number, v1: number, t: number) => (log ? v0 * (v1 / v0) ** t : v0 + (v1 - v0) * t);
  const inView = (key: string, out: RunValuesInView) => {
    const values: number[] = [];
    let last: { x: number; v: number } | null = null;
    for (const row of rows) {
      const v = row[key];
      if (v === undefined) continue;
      if (!Number.isFinite(v)) {
        if (row.x >= lo && row.x <= hi) out.nonFinite = true;
        // Not drawn: the line breaks there.
        last = null;
        continue;
      }
      if (row.x >= lo && row.x <= hi) values.push(v);
      if (last) {
        for (const edge of [lo, hi])
          if (last.x < edge && edge < row.x)
            values.push(between(last.v, v, (edge - last.x) / (row.x - last.x)));
      }
      last = { x: row.x, v };
    }
    return values;
  };
  return Array.from({ length: runs }, (_, i) => {
    const keys = rowKeys(i);
    const out: RunValuesInView = { raw: [], smooth: [], nonFinite: false };
    out.raw = inView(keys.raw, out);
    out.smooth = inView(keys.smooth, out);
    return out;
  });
}

/** How many points each of the first `runs` run slots has in `rows`. */
export function pointCounts(rows: readonly ChartRow[], runs: number): number[] {
  return Array.from({ length: runs }, (_, i) => rows.filter((r) => r[rowKeys(i).raw] !== undefined).length);
}
