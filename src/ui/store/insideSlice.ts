/**
 * What the page keeps of the inside of its runs: each run's histograms per tag, as the worker
 * posts them every few steps, thinned to MAX_KEPT per tag. They are stored (persist.ts
 * saveHistograms) when the run's record settles (an epoch, a checkpoint, the run's end), not at
 * every probe, within a budget for all runs (inside/keptHistograms.ts); a reload reads back what
 * was kept, and why the rest was not.
 */
import type { StateCreator } from 'zustand';
import type { FromWorker, MessageOf } from '../../worker/protocol';
import { type HistogramPoint, keepPoint } from '../inside/histogramMath';
import type { NotKept } from '../inside/keptHistograms';
import type { KilnState } from './index';

/** A run's histograms: tag -> points in step order. */
export type RunHistograms = Record<string, HistogramPoint[]>;

/** The inside-the-network slice. */
export interface InsideSlice {
  /** Per run id. */
  histograms: Record<string, RunHistograms>;
  /** The parameter the Histograms and Distributions views show (null: the run's first). */
  histogramTag: string | null;
  /** Runs whose histograms storage did not keep, and why (over the budget). */
  histogramsNotKept: Record<string, NotKept>;
  /** Folds a `histograms` report into its run's tags. */
  addHistograms: (msg: MessageOf<FromWorker, 'histograms'>) => void;
  /** Puts back what storage kept (a run's histograms already in memory, being newer, stay). */
  restoreHistograms: (kept: {
    histograms: Record<string, RunHistograms>;
    notKept: Record<string, NotKept>;
  }) => void;
  /** Notes that storage did not keep a run's histograms, and why. */
  markHistogramsNotKept: (id: string, why: NotKept) => void;
  setHistogramTag: (tag: string) => void;
}

/** Creates the inside slice. */
export const createInsideSlice: StateCreator<KilnState, [], [], InsideSlice> = (set) => ({
  histograms: {},
  histogramsNotKept: {},
  histogramTag: null,
  addHistograms: ({ runId, step, wallTime, items }) =>
    set(({ histograms }) => {
      const run = { ...histograms[runId] };
      for (const { tag, ...h } of items) run[tag] = keepPoint(run[tag] ?? [], { ...h, step, wallTime });
      return { histograms: { ...histograms, [runId]: run } };
    }),
  restoreHistograms: (kept) =>
    set(({ histograms, histogramsNotKept }) => ({
      histograms: { ...kept.histograms, ...histograms },
      histogramsNotKept: { ...kept.notKept, ...histogramsNotKept },
    })),
  markHistogramsNotKept: (id, why) =>
    set(({ histogramsNotKept }) => ({ histogramsNotKept: { ...histogramsNotKept, [id]: why } })),
  setHistogramTag: (histogramTag) => set({ histogramTag }),
});
