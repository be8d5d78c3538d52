/**
 * How the scalar charts are drawn and which runs they show: shared by every chart, like
 * TensorBoard's left-hand settings.
 */
import type { StateCreator } from 'zustand';
import type { XAxisKind } from '../charts/types';
import type { KilnState } from './index';

/** TensorBoard's default smoothing weight. */
export const DEFAULT_SMOOTHING = 0.6;

/** The chart settings slice. */
export interface ChartSlice {
  smoothing: number;
  xAxis: XAxisKind;
  logScale: boolean;
  /**
   * TensorBoard's "Ignore outliers in chart scaling": the y-axis spans each run's 5th-95th
   * percentile, runs that diverged left out (axes.ts yAxisRange).
   */
  ignoreOutliers: boolean;
  /** TensorBoard's "filter runs": runs whose names do not match (case-insensitive regex, or text) are not drawn. */
  runFilter: string;
  setSmoothing: (weight: number) => void;
  setXAxis: (kind: XAxisKind) => void;
  setLogScale: (on: boolean) => void;
  setIgnoreOutliers: (on: boolean) => void;
  setRunFilter: (pattern: string) => void;
}

/** Creates the chart settings slice. */
export const createChartSlice: StateCreator<KilnState, [], [], ChartSlice> = (set) => ({
  smoothing: DEFAULT_SMOOTHING,
  xAxis: 'step',
  logScale: false,
  ignoreOutliers: false,
  runFilter: '',
  setSmoothing: (weight) => set({ smoothing: Math.min(0.999, Math.max(0, weight)) }),
  setXAxis: (xAxis) => set({ xAxis }),
  setLogScale: (logScale) => set({ logScale }),
  setIgnoreOutliers: (ignoreOutliers) => set({ ignoreOutliers }),
  setRunFilter: (runFilter) => set({ runFilter }),
});
