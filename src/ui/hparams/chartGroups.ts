/** The hyperparameter view's settings as the scalar charts take them. */
import { useMemo } from 'react';
import type { ChartRun } from '../charts/types';
import type { HparamsView } from '../store/hparamsSlice';
import type { RunRecord } from '../store/runsSlice';
import { hparamOf, passesBrushes } from './hparams';

/**
 * What the hyperparameter view's settings ask of the scalar charts: the brushes as a test of runs,
 * and the group-by setting as each run's group (the charts see ChartRuns; these are run records).
 */
export function useChartGroups(view: HparamsView) {
  const { brushes, groupBy } = view;
  const keep = useMemo(
    () => (brushes.length ? (run: ChartRun) => passesBrushes(run as RunRecord, brushes) : undefined),
    [brushes],
  );
  const groupOf = useMemo(() => {
    const h = groupBy ? hparamOf(groupBy) : undefined;
    return h ? (run: ChartRun) => `${h.short} = ${h.value(run as RunRecord) ?? '—'}` : undefined;
  }, [groupBy]);
  return { keep, groupOf };
}
