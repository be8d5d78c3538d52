/** The worker's side of the page: which backend is up, the dataset and its download, the training config. */

import {
  DEFAULT_CONFIG,
  DEFAULT_TEXT_CONFIG,
  defaultScheduler,
  OPTIMIZER_DEFAULTS,
  type SchedulerName,
} from 'kiln/config';
import type { StateCreator } from 'zustand';
import type { Backend, FromWorker, MessageOf, OptimizerName, TrainConfig } from '../../worker/protocol';
import type { KilnState } from './index';

/** One file's download, in bytes (total 0 when the server did not say). */
export interface FileProgress {
  loadedBytes: number;
  totalBytes: number;
}

/** The dataset the worker holds, as datasetReady described it. */
export type DatasetInfo = Omit<MessageOf<FromWorker, 'datasetReady'>, 'type'>;

/** What the data panel shows: idle, downloading (per file), ready, or why it failed. */
export interface DatasetState {
  status: 'idle' | 'loading' | 'ready' | 'failed';
  /** Which dataset is being loaded, for the panel's heading while it downloads. */
  loading: string | null;
  /** Whether that is the user's files (which fail whole when they cannot be stored) or a built-in one. */
  loadingFiles: boolean;
  progress: Record<string, FileProgress>;
  info: DatasetInfo | null;
  /** Whether the loaded dataset came from the user's files (not downloaded or cached by Kiln). */
  fromFiles: boolean;
  error: string | null;
}

/** A page-wide message (a lost device, a full disk) shown above the panels until dismissed. */
export interface Notice {
  kind: 'error' | 'warn' | 'ok';
  title: string;
  message: string;
}

/**
 * The page's training defaults: the guide's recipe, with the loss read back every 10 steps so short
 * runs still draw a curve, and a 5,000-sample validation split so the test set stays untouched.
 */
export const PAGE_DEFAULT_CONFIG: TrainConfig = { ...DEFAULT_CONFIG, logEvery: 10, valSplit: 5000 };

/**
 * The page's defaults for a text run: nanoGPT's shakespeare_char recipe (DEFAULT_TEXT_CONFIG: 2,000
 * steps, evaluating every 250), with the loss read back every 10 steps as for images.
 */
export const PAGE_TEXT_CONFIG: TrainConfig = { ...DEFAULT_TEXT_CONFIG, logEvery: 10 };

/** The session slice. */
export interface SessionSlice {
  /** The backend the worker reported ready, null until then. */
  workerBackend: Backend | null;
  /** Threads the worker's backend runs its kernels on (the WASM backend's, where the page is cross-origin isolated; else 1). */
  workerThreads: number;
  dataset: DatasetState;
  config: TrainConfig;
  /** The run the evaluation panel and drawing pad show. */
  activeRunId: string | null;
  notice: Notice | null;
  setWorkerBackend: (backend: Backend, threads?: number) => void;
  startDatasetLoad: (name: string, files: boolean) => void;
  datasetProgress: (file: string, p: FileProgress) => void;
  datasetReady: (info: DatasetInfo) => void;
  datasetFailed: (message: string) => void;
  /** Replaces some training settings; the rest stay. */
  setConfig: (patch: Partial<TrainConfig>) => void;
  /**
   * Switches optimizer with torch.optim's defaults for it (learning rate, weight decay); momentum
   * and Nesterov are cleared where the optimizer has none.
   */
  setOptimizer: (name: OptimizerName) => void;
  /** Switches scheduler, with PyTorch's defaults fitted to the run's length and learning rate. */
  setScheduler: (name: SchedulerName) => void;
  setActiveRun: (id: string | null) => void;
  setNotice: (notice: Notice | null) => void;
}

/** Creates the session slice. */
export const createSessionSlice: StateCreator<KilnState, [], [], SessionSlice> = (set, get) => ({
  workerBackend: null,
  workerThreads: 1,
  dataset: {
    status: 'idle',
    loading: null,
    loadingFiles: false,
    progress: {},
    info: null,
    fromFiles: false,
    error: null,
  },
  config: PAGE_DEFAULT_CONFIG,
  activeRunId: null,
  notice: null,
  setWorkerBackend: (workerBackend, workerThreads = 1) => set({ workerBackend, workerThreads }),
  startDatasetLoad: (name, loadingFiles) =>
    set(({ dataset }) => ({
      dataset: { ...dataset, status: 'loading', loading: name, loadingFiles, progress: {}, error: null },
    })),
  datasetProgress: (file, p) =>
    set(({ dataset }) => ({ dataset: { ...dataset, progress: { ...dataset.progress, [file]: p } } })),
  datasetReady: (info) => {
    set(({ dataset }) => ({
      dataset: {
        ...dataset,
        status: 'ready',
        loading: null,
        info,
        fromFiles: dataset.loadingFiles,
        error: null,
      },
    }));
    get().clearDataErrors();
  },
  // A failed load keeps the dataset already loaded: the worker still holds it and can train on it.
  datasetFailed: (error) =>
    set(({ dataset }) => ({
      dataset: { ...dataset, status: dataset.info ? 'ready' : 'failed', loading: null, error },
    })),
  setConfig: (patch) => set(({ config }) => ({ config: { ...config, ...patch } })),
  setOptimizer: (optimizer) =>
    set(({ config }) => ({
      config: {
        ...config,
        optimizer,
        ...OPTIMIZER_DEFAULTS[optimizer],
        momentum: optimizer === 'sgd' || optimizer === 'rmsprop' ? config.momentum : 0,
        nesterov: optimizer === 'sgd' && config.nesterov,
      },
    })),
  setScheduler: (name) =>
    set(({ config }) => ({ config: { ...config, scheduler: defaultScheduler(name, config) } })),
  setActiveRun: (activeRunId) => set({ activeRunId }),
  setNotice: (notice) => set({ notice }),
});
