/** The app's one zustand store, assembled from slices (zustand's slices pattern). */

import { dataFitError, type ModelSpec, specError, textTarget } from 'kiln/spec';
import { useMemo } from 'react';
import { create } from 'zustand';
import { type BuilderSlice, createBuilderSlice } from './builderSlice';
import { type ChartSlice, createChartSlice } from './chartSlice';
import { type CheckpointActions, createCheckpointActions } from './checkpointActions';
import { createExperimentSlice, type ExperimentSlice } from './experimentSlice';
import { createGpuSlice, type GpuSlice } from './gpuSlice';
import { createHparamsSlice, type HparamsSlice } from './hparamsSlice';
import { createInsideSlice, type InsideSlice } from './insideSlice';
import { createInspectSlice, type InspectSlice } from './inspectSlice';
import { createLrFindSlice, type LrFindSlice } from './lrFindSlice';
import { createRunActions, type RunActions } from './runActions';
import { createRunsSlice, type RunsSlice } from './runsSlice';
import { createSessionSlice, type SessionSlice } from './sessionSlice';
import { createSetupActions, type SetupActions } from './setupActions';
import { createSweepSlice, type SweepSlice } from './sweepSlice';
import { createTextSlice, type TextSlice } from './textSlice';
import { createWorkerActions, type WorkerActions } from './workerActions';

/**
 * Everything the UI holds (GPU probe, model builder, runs, chart settings, the worker's session),
 * the actions that reach the worker (runs, checkpoints, the worker and its dataset), and opening
 * a setup (model and settings) from a link or this browser, and sweeps of runs.
 */
export type KilnState = GpuSlice &
  BuilderSlice &
  RunsSlice &
  ChartSlice &
  SessionSlice &
  RunActions &
  CheckpointActions &
  SetupActions &
  WorkerActions &
  InspectSlice &
  InsideSlice &
  TextSlice &
  LrFindSlice &
  SweepSlice &
  HparamsSlice &
  ExperimentSlice;

/** The store hook; subscribe with a selector, e.g. `useKiln((s) => s.spec)`. */
export const useKiln = create<KilnState>()((...a) => ({
  ...createGpuSlice(...a),
  ...createBuilderSlice(...a),
  ...createRunsSlice(...a),
  ...createChartSlice(...a),
  ...createSessionSlice(...a),
  ...createRunActions(...a),
  ...createCheckpointActions(...a),
  ...createSetupActions(...a),
  ...createWorkerActions(...a),
  ...createInspectSlice(...a),
  ...createInsideSlice(...a),
  ...createTextSlice(...a),
  ...createLrFindSlice(...a),
  ...createSweepSlice(...a),
  ...createHparamsSlice(...a),
  ...createExperimentSlice(...a),
}));

/** The builder's current spec and why it cannot train on the loaded data (null when it can): what a Train button reads. */
export function useTrainableSpec(): { spec: ModelSpec; error: string | null } {
  const spec = useKiln((s) => s.spec);
  const data = useKiln((s) => s.dataset.info);
  const blockSize = useKiln((s) => s.config.blockSize);
  return useMemo(() => {
    // A text's samples are windows of block_size ids, labelled as the model predicts (see textTarget).
    const fit = data?.text
      ? {
          inputShape: [blockSize],
          inputDtype: 'int32' as const,
          numClasses: data.numClasses,
          labelShape: textTarget(spec) === 'every' ? [blockSize] : [],
        }
      : data;
    return { spec, error: specError(spec) ?? (fit ? dataFitError(spec, fit) : null) };
  }, [spec, data, blockSize]);
}
