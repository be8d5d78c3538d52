/**
 * Experiments as files: exporting the shown runs (records, scalars, final histograms, the view as
 * it is, weights when asked) and opening someone's experiment read-only beside the user's own runs,
 * never mixed into them, until it is closed.
 */
import type { StateCreator } from 'zustand';
import { downloadBytes, fileStem } from '../download';
import {
  EXPERIMENT_EXT,
  type Experiment,
  ExperimentError,
  finalHistograms,
  readExperiment,
  writeExperiment,
} from '../experiment/experimentFile';
import { tensorboardArchive } from '../experiment/tensorboardExport';
import { shownRuns } from '../hparams/hparams';
import { link } from '../link';
import type { KilnState } from './index';

/** The largest experiment file the page opens, in bytes (compressed). */
export const MAX_EXPERIMENT_FILE = 256 * 1024 * 1024;

/** The experiments slice. */
export interface ExperimentSlice {
  /** The experiment opened from a file, shown read-only; null when none is. */
  experiment: Experiment | null;
  /**
   * Writes the shown runs (the run filter's and the brushes') as one experiment file and downloads
   * it; with `weights`, each run's stored checkpoint too. Returns the file's name.
   */
  exportExperiment: (name: string, weights: boolean) => Promise<string>;
  /**
   * Downloads the shown runs as TensorBoard log folders (one per run: scalars, histograms, notes)
   * in one tar archive. Returns the file's name.
   */
  exportTensorBoard: (name: string) => Promise<string>;
  /** Opens an experiment file read-only; an unreadable one changes nothing and says why (returned). */
  openExperiment: (file: File) => Promise<string | null>;
  closeExperiment: () => void;
}

/** The experiment the page shows now, as a file would hold it. */
export async function currentExperiment(s: KilnState, name: string, weights: boolean): Promise<Experiment> {
  const runs = shownRuns(s.runs, s.runFilter, s.hparams.brushes);
  const db = weights ? await link.db() : null;
  const checkpoints: Record<string, Uint8Array> = {};
  if (db)
    for (const run of runs) {
      const bytes = run.hasCheckpoint ? await db.checkpoint(run.id) : undefined;
      if (bytes) checkpoints[run.id] = bytes;
    }
  return {
    name,
    exportedAt: Date.now(),
    view: {
      smoothing: s.smoothing,
      xAxis: s.xAxis,
      logScale: s.logScale,
      ignoreOutliers: s.ignoreOutliers,
      runFilter: s.runFilter,
      hparams: s.hparams,
    },
    runs,
    histograms: Object.fromEntries(
      runs.filter((r) => s.histograms[r.id]).map((r) => [r.id, finalHistograms(s.histograms[r.id])]),
    ),
    checkpoints,
  };
}

/** Creates the experiments slice. */
export const createExperimentSlice: StateCreator<KilnState, [], [], ExperimentSlice> = (set, get) => ({
  experiment: null,
  exportExperiment: async (name, weights) => {
    const e = await currentExperiment(get(), name, weights);
    const fileName = `${fileStem(name)}${EXPERIMENT_EXT}`;
    downloadBytes(await writeExperiment(e), fileName, 'application/gzip');
    return fileName;
  },
  exportTensorBoard: async (name) => {
    const s = get();
    const runs = shownRuns(s.runs, s.runFilter, s.hparams.brushes);
    const fileName = `${fileStem(name)}-tensorboard.tar`;
    downloadBytes(tensorboardArchive(runs, s.histograms), fileName, 'application/x-tar');
    return fileName;
  },
  openExperiment: async (file) => {
    if (file.size > MAX_EXPERIMENT_FILE)
      return `${file.name} is ${file.size} bytes, over the ${MAX_EXPERIMENT_FILE} an experiment file may be`;
    try {
      const experiment = await readExperiment(new Uint8Array(await file.arrayBuffer()), file.name);
      set({ experiment });
      return null;
    } catch (e) {
      if (e instanceof ExperimentError) return e.message;
      return `${file.name} could not be read (${e instanceof Error ? e.message : String(e)})`;
    }
  },
  closeExperiment: () => set({ experiment: null }),
});
