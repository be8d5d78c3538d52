/** The app's one zustand store, assembled from slices (zustand's slices pattern). */
import { useMemo } from 'react';
import { create } from 'zustand';
import { type ModelSpec, specError } from '../../nn/spec';
import { type BuilderSlice, createBuilderSlice } from './builderSlice';
import { type ChartSlice, createChartSlice } from './chartSlice';
import { createGpuSlice, type GpuSlice } from './gpuSlice';
import { createRunsSlice, type RunsSlice } from './runsSlice';
import { createSessionSlice, type SessionSlice } from './sessionSlice';

/** Everything the UI holds: GPU probe, model builder, runs, chart settings, the worker's session. */
export type KilnState = GpuSlice & BuilderSlice & RunsSlice & ChartSlice & SessionSlice;

/** The store hook; subscribe with a selector, e.g. `useKiln((s) => s.spec)`. */
export const useKiln = create<KilnState>()((...a) => ({
  ...createGpuSlice(...a),
  ...createBuilderSlice(...a),
  ...createRunsSlice(...a),
  ...createChartSlice(...a),
  ...createSessionSlice(...a),
}));

/** The builder's current spec and why it cannot be trained (null when it can): what a Train button reads. */
export function useTrainableSpec(): { spec: ModelSpec; error: string | null } {
  const spec = useKiln((s) => s.spec);
  return useMemo(() => ({ spec, error: specError(spec) }), [spec]);
}
