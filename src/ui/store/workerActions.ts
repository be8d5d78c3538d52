/**
 * The worker's side of the store: starting the worker, choosing the dataset it holds (and keeping
 * that choice), and routing each of its reports to the one store action that folds it in.
 */

import { PER_DATASET_SETTINGS, type TrainConfig } from 'kiln/config';
import { MAX_INFLATED_BYTES } from 'kiln/datasets';
import { inferShapes, PRESETS } from 'kiln/spec';
import type { StateCreator } from 'zustand';
import type { Backend, FromWorker, MessageOf } from '../../worker/protocol';
import { fitToData } from '../data/fitModel';
import { downloadBytes, fileStem } from '../download';
import { link } from '../link';
import { labelled } from '../runs/runLabel';
import { INITIAL_PRESET, textPresetKey, textPresetOf } from './builderSlice';
import type { KilnState } from './index';
import { saveHistograms, saveRun } from './persist';
import { interrupted } from './runsSlice';
import { type DatasetInfo, PAGE_DEFAULT_CONFIG, PAGE_TEXT_CONFIG } from './sessionSlice';
import { choiceKey, type DatasetChoice, type DatasetSettings, JARGON_CHOICE, MNIST_CHOICE } from './setup';
import { receiveSampleText } from './textSlice';

/** The worker actions. */
export interface WorkerActions {
  /**
   * The dataset last loaded (a user's files as their cached dataset), kept with the setup: the
   * worker loads it when it starts, so a reload trains on the same data.
   */
  datasetChoice: DatasetChoice;
  /**
   * The per-dataset settings (validation split, limit) of every dataset but the chosen one, by
   * choiceKey: switching datasets keeps the form's values under the old one and brings back the
   * new one's, so one dataset's split is never silently used on another.
   */
  datasetSettings: DatasetSettings;
  /** Starts the worker on `backend`, loads the chosen dataset and restores stored runs. Idempotent. */
  startWorker: (backend: Backend) => void;
  /** Loads the built-in MNIST (again, after the user's dataset or after clearing the cache). */
  loadMnist: () => void;
  /** Loads the bundled text (the Jargon File) for a character-level language model. */
  loadBundledText: () => void;
  /** Loads a dataset made from the user's files earlier, from this browser's cache, by its name. */
  loadCachedDataset: (name: string) => void;
  /** Reads the user's files and asks the worker to parse and cache them as a dataset. */
  addUserDataset: (files: File[]) => Promise<void>;
}

/** How long run reports are gathered before the page redraws with them. */
const FLUSH_MS = 500;

/** Creates the worker actions. */
export const createWorkerActions: StateCreator<KilnState, [], [], WorkerActions> = (set, get) => {
  /** Runs to resume from their checkpoints once a fresh worker (after a lost device) has the data. */
  const resumeAfterBoot = new Set<string>();
  /** Run reports waiting for the next flush: the page redraws a few times a second, not per report. */
  let queue: FromWorker[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** What the dataset being loaded is chosen as, once it is ready. */
  let loading: DatasetChoice = MNIST_CHOICE;
  /** Whether that is the kept choice of an earlier visit, which falls back to MNIST if it cannot load. */
  let restoring = false;

  const flush = () => {
    if (flushTimer !== null) clearTimeout(flushTimer);
    flushTimer = null;
    const batch = queue;
    queue = [];
    if (batch.length) get().applyRunMessages(batch);
  };

  const boot = (backend: Backend) => {
    link.start(backend, receive);
    const choice = get().datasetChoice;
    if (choice.kind === 'cached') {
      get().loadCachedDataset(choice.name);
      restoring = true;
    } else if (choice.kind === 'builtin' && choice.id === 'jargon') get().loadBundledText();
    else get().loadMnist();
  };

  const restoreRuns = async () => {
    const { runs, unreadable } = (await (await link.db())?.list()) ?? { runs: [], unreadable: [] };
    get().setUnreadableRuns(unreadable);
    get().restoreRuns(runs.map(interrupted));
    const kept = await (await link.db())?.keptHistograms().catch(() => null);
    if (kept) get().restoreHistograms(kept);
    if (!get().activeRunId && runs.length) get().setActiveRun(runs[runs.length - 1].id);
    // A sweep's queue after its runs: the run in hand resumes from its record's checkpoint.
    await get().restoreSweeps();
  };

  /**
   * A text loaded: the text settings (steps, eval every, block size) unless they are already in
   * use, and a text preset (the GPT first) fitted to its vocabulary unless the builder holds a
   * language model of that vocabulary already (a run's, being resumed).
   */
  const textReady = (vocab: string) => {
    const s = get();
    set({ datasetChoice: loading });
    const fits =
      s.spec.inputDtype === 'int32' && inferShapes(s.spec).at(-1)?.outShape.at(-1) === [...vocab].length;
    if (!fits) s.loadPreset(textPresetKey(textPresetOf(s.presetKey) ?? 'gpt'));
  };

  const receive = (msg: FromWorker) => {
    const s = get();
    switch (msg.type) {
      case 'ready':
        s.setWorkerBackend(msg.backend, msg.threads);
        // The data may have come from the cache before the GPU was ready: a sweep waits for both.
        return s.continueSweeps();
      case 'datasetProgress':
        return s.datasetProgress(msg.file, { loadedBytes: msg.loadedBytes, totalBytes: msg.totalBytes });
      case 'datasetReady': {
        const { type: _, ...info } = msg;
        restoring = false;
        s.datasetReady(info);
        const [from, to] = [choiceKey(s.datasetChoice), choiceKey(loading)];
        // A text trains with nanoGPT's recipe, images and tables with the guide's: a change of kind
        // changes the whole config, before the dataset's own settings are put back.
        const leaving = pick(s.config);
        const wasText = s.config.steps !== null;
        if (info.text && !wasText) s.setConfig(PAGE_TEXT_CONFIG);
        if (!info.text && wasText) s.setConfig(PAGE_DEFAULT_CONFIG);
        if (from !== to) {
          const { [to]: own, ...others } = { ...s.datasetSettings, [from]: leaving };
          set({ datasetSettings: others });
          s.setConfig(own ?? ownDefaults(info));
        }
        for (const id of resumeAfterBoot) void s.resumeRun(id);
        resumeAfterBoot.clear();
        s.continueSweeps();
        if (info.text) return textReady(info.text.vocab);
        // A dataset cached again smaller under the same name: a split it can still afford.
        if (get().config.valSplit >= info.trainSize) s.setConfig({ valSplit: ownDefaults(info).valSplit });
        // Back from a text: an image model.
        const spec =
          get().spec.inputDtype === 'int32' ? structuredClone(PRESETS[INITIAL_PRESET]) : get().spec;
        if (spec !== get().spec) set({ presetKey: INITIAL_PRESET, edited: false });
        // The builder has no input-shape field: an MLP follows the data (a CNN is left to refuse a table).
        set({ datasetChoice: loading, spec: fitToData(spec, info) });
        return;
      }
      case 'metrics':
      case 'status':
      case 'epochEnd':
      case 'runSample': {
        queue.push(msg);
        const settled =
          msg.type === 'epochEnd' ||
          msg.type === 'runSample' ||
          (msg.type === 'status' && msg.state !== 'running');
        if (settled) {
          flush();
          saveRun(get, msg.runId);
          saveHistograms(get, msg.runId);
          if (msg.type === 'status' && msg.state !== 'running' && msg.state !== 'paused')
            s.sweepRunEnded(msg.runId);
        } else flushTimer ??= setTimeout(flush, FLUSH_MS);
        return;
      }
      case 'histograms':
        return s.addHistograms(msg);
      case 'checkpoint': {
        flush();
        if (msg.kind === 'auto')
          return void s.storeCheckpoint(msg.runId, msg.bytes, { epoch: msg.epoch, step: msg.step });
        const run = s.runs.find((r) => r.id === msg.runId);
        const stem = fileStem(run?.name ?? msg.runId);
        return downloadBytes(
          run ? labelled(msg.bytes, run) : msg.bytes,
          msg.kind === 'model' ? `${stem}.safetensors` : `${stem}-checkpoint.safetensors`,
        );
      }
      case 'error':
        return onError(msg);
      case 'sampleText':
        return receiveSampleText(msg);
      case 'lrFindPoint':
      case 'lrFindEnd':
        return s.receiveLrFind(msg);
      // Answers to requests (predictions, loaded checkpoints) go to whoever asked, through link.request.
      case 'prediction':
      case 'inspection':
      case 'checkpointLoaded':
      case 'sampleEnd':
      case 'textInspection':
        return;
    }
  };

  const onError = (msg: MessageOf<FromWorker, 'error'>) => {
    const s = get();
    if (msg.kind === 'device-lost') {
      // The device (and every run on it) is gone: stop what was training, start a fresh worker,
      // and once it has the dataset again, resume those runs from their last checkpoints.
      for (const r of s.runs)
        if (r.state === 'running' || r.state === 'paused') {
          s.setRunState(r.id, 'stopped');
          if (r.state === 'running' && r.hasCheckpoint) resumeAfterBoot.add(r.id);
        }
      s.lrFindLost(`the GPU device was lost: ${msg.message}`);
      s.setNotice({
        kind: 'error',
        title: 'The GPU device was lost',
        message: `${msg.message}. Training has paused; on a new device it resumes from the last checkpoint.`,
      });
      return boot(link.backend);
    }
    flush();
    if (msg.runId) {
      if (s.runs.some((r) => r.id === msg.runId)) {
        s.applyRunMessage(msg);
        saveRun(get, msg.runId);
      }
      return;
    }
    if (msg.kind === 'quota') {
      s.setNotice({ kind: 'warn', title: 'Storage is full', message: msg.message });
      // A dataset that cannot be cached loads on all the same (datasetReady follows): only later visits pay.
      return;
    }
    if (s.dataset.status === 'loading' && restoring) {
      restoring = false;
      s.setNotice({
        kind: 'warn',
        title: 'The dataset you last chose could not be loaded again',
        message: `${msg.message}. MNIST is loaded in its place.`,
      });
      return get().loadMnist();
    }
    if (s.dataset.status === 'loading') return s.datasetFailed(msg.message);
    if (msg.kind === 'no-webgpu' && link.backend === 'webgpu') {
      // The probe saw an adapter but the worker could not get one: fall back rather than strand the page.
      s.setNotice({
        kind: 'warn',
        title: 'WebGPU failed in the worker; using the WASM backend on the CPU',
        message: msg.message,
      });
      return link.reinit('wasm');
    }
    s.setNotice({ kind: 'error', title: 'The training worker reported an error', message: msg.message });
  };

  return {
    datasetChoice: MNIST_CHOICE,
    datasetSettings: {},
    startWorker: (backend) => {
      if (link.started) return;
      boot(backend);
      void restoreRuns();
    },
    loadMnist: () => {
      loading = MNIST_CHOICE;
      get().startDatasetLoad('mnist', false);
      link.send({ type: 'loadDataset', source: MNIST_CHOICE });
    },
    loadBundledText: () => {
      loading = JARGON_CHOICE;
      get().startDatasetLoad('jargon', false);
      link.send({ type: 'loadDataset', source: JARGON_CHOICE });
    },
    loadCachedDataset: (name) => {
      loading = { kind: 'cached', name };
      restoring = false;
      // Still the user's files, only read back from the cache.
      get().startDatasetLoad(name, true);
      link.send({ type: 'loadDataset', source: loading });
    },
    addUserDataset: async (files) => {
      const name = datasetName(files);
      const large = files.find((f) => f.size > MAX_INFLATED_BYTES);
      if (large) {
        get().startDatasetLoad(name, true);
        return get().datasetFailed(
          `${large.name}: ${large.size} bytes is over the ${MAX_INFLATED_BYTES} Kiln reads`,
        );
      }
      const named = await Promise.all(
        files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
      );
      loading = { kind: 'cached', name };
      restoring = false;
      get().startDatasetLoad(name, true);
      link.send({ type: 'loadDataset', source: { kind: 'files', name, files: named } });
    },
  };
};

/** The per-dataset settings of `config`. */
function pick(config: TrainConfig): Partial<TrainConfig> {
  return Object.fromEntries(PER_DATASET_SETTINGS.map((k) => [k, config[k]]));
}

/**
 * A dataset's settings before the user sets any: the page's, with a validation split it affords
 * (MNIST's 5,000, or a tenth of a smaller training set).
 */
function ownDefaults(info: DatasetInfo): Partial<TrainConfig> & { valSplit: number } {
  const tenth = Math.max(1, Math.round(info.trainSize / 10));
  return { ...pick(PAGE_DEFAULT_CONFIG), valSplit: Math.min(PAGE_DEFAULT_CONFIG.valSplit, tenth) };
}

/** A dataset name from the user's files: the common stem of an IDX pair, or the CSV's name. */
function datasetName(files: File[]): string {
  const stem = (f: File) => f.name.replace(/\.gz$/i, '').replace(/\.(csv|txt|idx\d?-ubyte|ubyte)$/i, '');
  const first = stem(files[0] ?? new File([], 'dataset'));
  const common = first.replace(/[-_.]?(train|t10k|test)?[-_.]?(images|labels)?[-_.]?idx\d-ubyte$/i, '');
  // Files under MNIST's own names (train-images-idx3-ubyte…) say nothing of the dataset: a generic name.
  return common.replace(/[-_.]+(images|labels)$/i, '') || 'my-dataset';
}
