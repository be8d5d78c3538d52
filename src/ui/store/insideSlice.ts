/**
 * What the page keeps of the inside of its runs: each run's histograms per tag, as the worker
 * posts them every few steps, thinned to MAX_KEPT per tag. They live in memory only: a reload
 * keeps a run's gradient-health scalars (they are in its series) but not its histograms, which
 * would cost a store write of every bin at every probe.
 */
import type { StateCreator } from 'zustand';
import type { FromWorker, MessageOf } from '../../worker/protocol';
import { type HistogramPoint, keepPoint } from '../inside/histogramMath';
import type { KilnState } from './index';

/** A run's histograms: tag -> points in step order. */
export type RunHistograms = Record<string, HistogramPoint[]>;

/** The inside-the-network slice. */
export interface InsideSlice {
  /** Per run id. */
  histograms: Record<string, RunHistograms>;
  /** The parameter the Histograms and Distributions views show (null: the run's first). */
  histogramTag: string | null;
  /** Folds a `histograms` report into its run's tags. */
  addHistograms: (msg: MessageOf<FromWorker, 'histograms'>) => void;
  setHistogramTag: (tag: string) => void;
}

/** Creates the inside slice. */
export const createInsideSlice: StateCreator<KilnState, [], [], InsideSlice> = (set) => ({
  histograms: {},
  histogramTag: null,
  addHistograms: ({ runId, step, wallTime, items }) =>
    set(({ histograms }) => {
      const run = { ...histograms[runId] };
      for (const { tag, ...h } of items) run[tag] = keepPoint(run[tag] ?? [], { ...h, step, wallTime });
      return { histograms: { ...histograms, [runId]: run } };
    }),
  setHistogramTag: (histogramTag) => set({ histogramTag }),
});
