/**
 * How the hyperparameter view is set: the metric on its last axis, the brushes that filter runs,
 * the runs table's extra columns and grouping, and whether the charts draw groups. An opened
 * experiment keeps its own copy (as its author saw it); this one is the page's.
 */
import type { StateCreator } from 'zustand';
import type { Brush } from '../hparams/hparams';
import type { KilnState } from './index';

/** The hyperparameter view's settings. */
export interface HparamsView {
  /** The metric the last axis shows and the lines are coloured by (a METRICS key). */
  metric: string;
  /** At most one per axis; a run must pass them all to be shown. */
  brushes: Brush[];
  /** The setting the runs table groups by (mean, min and max over each group), or null. */
  groupBy: string | null;
  /** Settings added to the runs table as columns (HPARAMS keys), in the order added. */
  columns: string[];
  /** The scalar charts draw each group as its mean with a min-max band. */
  groupCharts: boolean;
}

/** The view before anything is chosen: val accuracy, no brushes, no grouping. */
export const DEFAULT_HPARAMS_VIEW: HparamsView = {
  metric: 'valAcc',
  brushes: [],
  groupBy: null,
  columns: [],
  groupCharts: false,
};

/** The hyperparameter view slice. */
export interface HparamsSlice {
  hparams: HparamsView;
  /** Changes some of the view's settings. */
  setHparams: (change: Partial<HparamsView>) => void;
}

/** Creates the hyperparameter view slice. */
export const createHparamsSlice: StateCreator<KilnState, [], [], HparamsSlice> = (set) => ({
  hparams: DEFAULT_HPARAMS_VIEW,
  setHparams: (change) => set(({ hparams }) => ({ hparams: { ...hparams, ...change } })),
});
