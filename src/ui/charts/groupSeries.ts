/**
 * W&B's grouping: several runs (the seeds of one setting) drawn as one line, their mean at each
 * step, with a band from their minimum to their maximum.
 */
import type { ChartPoint, ChartRun } from './types';

/**
 * One chart run for `runs` together: for each tag, at each step any of them logged, the mean of
 * their values there (its series) and their min and max (its bands). Non-finite values (a run
 * that diverged) are left out of the step's statistics; a step where no run has a finite value is
 * left out.
 */
export function groupSeries(
  runs: readonly ChartRun[],
  group: Pick<ChartRun, 'id' | 'name' | 'color'>,
): ChartRun {
  const tags = [...new Set(runs.flatMap((r) => Object.keys(r.series)))].sort();
  const series: Record<string, ChartPoint[]> = {};
  const bands: Record<string, [number, number][]> = {};
  for (const tag of tags) {
    const byStep = new Map<number, ChartPoint[]>();
    for (const run of runs)
      for (const p of run.series[tag] ?? []) {
        if (!Number.isFinite(p.value)) continue;
        const at = byStep.get(p.step);
        if (at) at.push(p);
        else byStep.set(p.step, [p]);
      }
    const steps = [...byStep.keys()].sort((a, b) => a - b);
    series[tag] = [];
    bands[tag] = [];
    for (const step of steps) {
      const points = byStep.get(step) ?? [];
      let [sum, lo, hi] = [0, Infinity, -Infinity];
      for (const p of points) {
        sum += p.value;
        lo = Math.min(lo, p.value);
        hi = Math.max(hi, p.value);
      }
      // Wall time and epoch from the first run to log the step: the x a group is drawn at.
      series[tag].push({ ...points[0], value: sum / points.length });
      bands[tag].push([lo, hi]);
    }
  }
  return { ...group, visible: true, series, bands };
}
