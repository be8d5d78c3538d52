/**
 * What the training worker does, apart from the message plumbing: it owns the backend (the GPU
 * device), the loaded dataset and the runs, and drives train/ exactly as the CLI does. Reports go
 * out through `post`, so the same session runs in a Web Worker and in tests.
 */

import { F, noGrad } from '../autograd';
import { DatasetCache } from '../data/cache';
import { tabularToImages, whyNotImages } from '../data/csv';
import { DataLoader } from '../data/dataloader';
import { ImageDataset, Subset } from '../data/dataset';
import { DatasetError } from '../data/errors';
import { loadMnist } from '../data/mnist';
import { csvDataset, type IdxFiles, idxDatasets } from '../data/sources';
import { trainValidationSplit } from '../data/split';
import { Compose, Normalize, ToTensor } from '../data/transforms';
import type { NamedBytes, ImageDataset as RawImages } from '../data/types';
import { acquireGpu, NoWebGPUError } from '../gpu/device';
import { buildModel } from '../nn';
import type { Module } from '../nn/module';
import type { ModelSpec } from '../nn/spec';
import type { Backend } from '../tensor/backend';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { tidy } from '../tensor/tensor';
import { DeviceLostError, WebGPUBackend } from '../tensor/webgpu';
import {
  CHECKPOINT_KEY,
  captureCheckpoint,
  createRun,
  parseCheckpoint,
  type Run,
  resumeRun,
} from '../train/checkpoint';
import type { TrainConfig } from '../train/config';
import { type EvalResult, evaluate } from '../train/evaluate';
import { decodeSafetensors } from '../train/safetensors';
import { safetensorsToStateDict, stateDictToSafetensors } from '../train/state_dict';
import { DivergenceError, type Trainer } from '../train/trainer';
import type { DatasetSource, FromWorker, ToWorker, WorkerErrorKind } from './protocol';
import { loadTuning, saveTuning } from './tuning';

/** A run the worker holds: a trainable run (model, optimizer, loader...), or a model loaded to evaluate and draw on. */
interface LiveRun {
  id: string;
  spec: ModelSpec;
  model: Module;
  /** Input normalisation the model was trained with. */
  mean: number;
  std: number;
  run?: Run;
  paused: boolean;
  stopped: boolean;
  resumeWaiters: (() => void)[];
}

interface LoadedData {
  name: string;
  train: RawImages;
  test?: RawImages;
}

/** The worker's state and its handlers for each command. */
export class Session {
  private backend: Backend | null = null;
  private data: LoadedData | null = null;
  private readonly runs = new Map<string, LiveRun>();

  constructor(private readonly post: (msg: FromWorker) => void) {}

  /** Handles one command; failures become `error` reports, never unhandled rejections. */
  async handle(msg: ToWorker): Promise<void> {
    try {
      switch (msg.type) {
        case 'init':
          return await this.init(msg.backend);
        case 'loadDataset':
          return await this.loadDataset(msg.source);
        case 'train':
          return await this.train(msg.runId, msg.model, msg.config, msg.resume);
        case 'pause':
          return this.setPaused(msg.runId, true);
        case 'resume':
          return this.setPaused(msg.runId, false);
        case 'stop': {
          const run = this.runs.get(msg.runId);
          if (run) {
            run.stopped = true;
            this.setPaused(msg.runId, false);
          }
          return;
        }
        case 'predict':
          return await this.predict(msg.requestId, msg.runId, msg.pixels);
        case 'exportCheckpoint':
          return await this.exportCheckpoint(msg.runId, msg.kind);
        case 'importCheckpoint':
          return await this.importCheckpoint(msg.runId, msg.bytes, msg.model);
      }
    } catch (e) {
      this.fail(e, 'runId' in msg ? msg.runId : undefined);
    }
  }

  private fail(e: unknown, runId?: string): void {
    const message = e instanceof Error ? e.message : String(e);
    let kind: WorkerErrorKind = 'internal';
    if (e instanceof NoWebGPUError) kind = 'no-webgpu';
    else if (e instanceof DeviceLostError) kind = 'device-lost';
    else if (e instanceof DivergenceError) kind = 'nan-loss';
    else if (e instanceof DatasetError) kind = /storage is full|quota/i.test(message) ? 'quota' : 'dataset';
    else if (e instanceof Error && /SafetensorsError|StateDictError|CheckpointError/.test(e.name))
      kind = 'bad-input';
    this.post({ type: 'error', kind, message, runId });
  }

  private async init(kind: 'webgpu' | 'cpu'): Promise<void> {
    if (kind === 'cpu') {
      this.backend = new CpuBackend();
      setDefaultBackend(this.backend);
      this.post({ type: 'ready', backend: 'cpu', adapter: null });
      return;
    }
    const gpu = await acquireGpu(globalThis.navigator?.gpu);
    const backend = new WebGPUBackend(gpu.device, { subgroups: gpu.subgroups });
    backend.tuner.restore(await loadTuning(backend.tuner.adapterKey));
    this.backend = backend;
    setDefaultBackend(this.backend);
    gpu.device.lost.then((info) => {
      // A destroyed device is ours on purpose; anything else is a loss the page must hear about.
      if (info.reason !== 'destroyed')
        this.post({
          type: 'error',
          kind: 'device-lost',
          message: `The GPU device was lost: ${info.message || info.reason}`,
        });
    });
    this.post({ type: 'ready', backend: 'webgpu', adapter: gpu.summary });
  }

  private requireBackend(): Backend {
    if (!this.backend) throw new Error('the worker was not initialised');
    return this.backend;
  }

  private async loadDataset(source: DatasetSource): Promise<void> {
    let loaded: LoadedData;
    let fromCache = false;
    if (source.kind === 'builtin') {
      const m = await loadMnist({
        onProgress: (p) =>
          this.post({
            type: 'datasetProgress',
            name: 'mnist',
            file: p.file,
            loadedBytes: p.loadedBytes,
            totalBytes: p.totalBytes ?? 0,
          }),
      });
      fromCache = m.fromCache;
      if (m.cacheError) this.post({ type: 'error', kind: 'quota', message: m.cacheError.message });
      loaded = { name: 'mnist', train: m.train, test: m.test };
    } else {
      loaded = await userDataset(source.name, source.files);
      const cache = await DatasetCache.open();
      await cache.putAll([loaded.train, ...(loaded.test ? [loaded.test] : [])], 'upload');
    }
    this.data = loaded;
    const { train, test } = loaded;
    const n = train.rows * train.cols;
    const samples = Array.from({ length: Math.min(32, train.count) }, (_, i) => ({
      pixels: train.images.slice(i * n, (i + 1) * n),
      label: train.labels[i],
    }));
    this.post({
      type: 'datasetReady',
      name: loaded.name,
      trainSize: train.count,
      testSize: test?.count ?? 0,
      inputShape: [train.channels, train.rows, train.cols],
      numClasses: train.numClasses,
      fromCache,
      samples,
    });
  }

  private setPaused(runId: string, paused: boolean): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.paused = paused;
    if (!paused) for (const w of run.resumeWaiters.splice(0)) w();
  }

  private async train(
    runId: string,
    spec: ModelSpec,
    config: TrainConfig,
    resume?: Uint8Array,
  ): Promise<void> {
    const backend = this.requireBackend();
    const data = this.data;
    if (!data) throw new Error('load a dataset before training');
    const transform = new Compose([new ToTensor(), new Normalize([config.mean], [config.std])]);
    const train = new ImageDataset(backend, data.train, transform);
    const test = data.test ? new ImageDataset(backend, data.test, transform) : null;
    let trainSet: ImageDataset | Subset = train;
    let valSet: ImageDataset | Subset;
    if (config.valSplit > 0 || !test) {
      const held = config.valSplit || Math.round(train.length / 12);
      if (held >= train.length) {
        train.dispose();
        test?.dispose();
        throw new RangeError(
          `the validation split (${held}) leaves no training samples: the dataset has ${train.length}`,
        );
      }
      const split = trainValidationSplit(train.length, held, config.seed);
      trainSet = new Subset(train, split.train);
      valSet = new Subset(train, split.validation);
    } else {
      valSet = test;
    }
    if (config.limit !== null) {
      const n = Math.min(config.limit, trainSet.length);
      trainSet = new Subset(
        trainSet,
        Int32Array.from({ length: n }, (_, i) => i),
      );
    }
    // A resumed run continues its checkpoint exactly (weights, optimizer, schedule, generators and
    // data order); only the number of epochs may grow.
    let run: Run;
    try {
      run = resume
        ? resumeRun(resume, trainSet, { epochs: config.epochs })
        : createRun(spec, config, trainSet);
    } catch (e) {
      train.dispose();
      test?.dispose();
      throw e;
    }
    const live: LiveRun = {
      id: runId,
      spec: run.spec,
      model: run.model,
      mean: run.config.mean,
      std: run.config.std,
      run,
      paused: false,
      stopped: false,
      resumeWaiters: [],
    };
    this.runs.set(runId, live);
    const { model, trainer } = run;
    const epochs = run.config.epochs;
    const batchSize = run.config.batchSize;
    const valLoader = new DataLoader(valSet, { batchSize: 500 });
    const stepsPerEpoch = trainer.loader.length;
    let samplesPerSec = 0;
    let lastMark = { time: performance.now(), step: trainer.globalStep };
    let lastLoss: number | null = null;
    /** True while the loop waits in waitWhilePaused. */
    let waiting = false;
    const status = (state: 'running' | 'paused' | 'stopped' | 'finished' | 'failed') =>
      this.post({
        type: 'status',
        runId,
        state,
        epoch: trainer.epoch,
        step: trainer.globalStep,
        stepsPerEpoch,
        epochs,
        samplesPerSec,
      });
    trainer.onStep = (m) => {
      const now = performance.now();
      samplesPerSec = ((m.step - lastMark.step) * batchSize) / ((now - lastMark.time) / 1000);
      lastMark = { time: now, step: m.step };
      lastLoss = m.loss;
      this.post({
        type: 'metrics',
        runId,
        step: m.step,
        epoch: m.epoch,
        scalars: [
          { tag: 'Loss/train', value: m.loss, step: m.step, wallTime: m.wallTime * 1000 },
          { tag: 'learning_rate', value: m.lr, step: m.step, wallTime: m.wallTime * 1000 },
        ],
      });
      // The loss is read one window behind, so a metric can arrive after the loop has paused: it
      // must not report the run as running again (the page would then offer Pause, not Resume).
      status(waiting ? 'paused' : 'running');
    };
    const control = {
      shouldStop: () => live.stopped,
      waitWhilePaused: async () => {
        // Yield to the event loop so pause/stop messages are seen, then wait while paused.
        await new Promise((r) => setTimeout(r, 0));
        if (live.paused) {
          waiting = true;
          status('paused');
          await new Promise<void>((r) => live.resumeWaiters.push(r));
          waiting = false;
          if (!live.stopped) status('running');
          lastMark = { time: performance.now(), step: trainer.globalStep };
        }
      },
    };
    const saveCheckpoint = async () => {
      const bytes = await captureCheckpoint(run, lastLoss);
      const fileName = `${runId}-epoch${trainer.epoch}-step${trainer.globalStep}.safetensors`;
      this.post({ type: 'checkpoint', runId, kind: 'auto', fileName, bytes });
    };
    try {
      status('running');
      while (trainer.epoch < epochs && !live.stopped) {
        const r = await trainer.trainEpoch(control);
        if (r.stopped) break;
        const ev = await evaluate(model, valLoader, data.train.numClasses, 32);
        trainer.endEpoch(ev.loss);
        this.reportEpoch(runId, trainer, ev, valSet, data);
        await saveCheckpoint();
        if (this.backend instanceof WebGPUBackend) {
          await saveTuning(this.backend.tuner.adapterKey, this.backend.tuner.chosen);
        }
      }
      // A stopped run keeps a checkpoint of exactly where it stopped, so it can resume there.
      if (live.stopped) await saveCheckpoint();
      status(live.stopped ? 'stopped' : 'finished');
    } catch (e) {
      status('failed');
      throw e;
    } finally {
      train.dispose();
      test?.dispose();
    }
  }

  /** Posts an epoch's validation scalars and evaluation, with the misclassified images. */
  private reportEpoch(
    runId: string,
    trainer: Trainer,
    ev: EvalResult,
    valSet: ImageDataset | Subset,
    data: LoadedData,
  ): void {
    const valIndices = valSet instanceof Subset ? valSet.indices : null;
    const n = data.train.rows * data.train.cols;
    const source = valIndices ? data.train : (data.test as RawImages);
    const misclassified = ev.misclassified.map((m) => {
      const index = valIndices ? valIndices[m.position] : m.position;
      return {
        pixels: source.images.slice(index * n, (index + 1) * n),
        label: m.label,
        predicted: m.predicted,
      };
    });
    const wallTime = Date.now();
    const step = trainer.globalStep;
    this.post({
      type: 'metrics',
      runId,
      step,
      epoch: trainer.epoch,
      scalars: [
        { tag: 'Loss/val', value: ev.loss, step, wallTime },
        { tag: 'Accuracy/val', value: ev.accuracy, step, wallTime },
      ],
    });
    this.post({
      type: 'epochEnd',
      runId,
      epoch: trainer.epoch,
      step,
      valLoss: ev.loss,
      valAcc: ev.accuracy,
      perClassAcc: ev.perClassAccuracy,
      confusion: ev.confusion,
      misclassified,
    });
  }

  private async predict(requestId: number, runId: string, pixels: Float32Array): Promise<void> {
    const live = this.runs.get(runId);
    if (!live) throw new Error(`no run ${runId} to predict with`);
    const backend = this.requireBackend();
    const normalized = pixels.map((v) => (v - live.mean) / live.std);
    const probs = noGrad(() =>
      tidy(() => {
        const wasTraining = live.model.training;
        live.model.eval();
        const x = ops.tensor(backend, normalized, [1, ...live.spec.inputShape]);
        const out = F.softmax(live.model.forward(x));
        live.model.train(wasTraining);
        return out;
      }),
    );
    const values = Array.from(await probs.data());
    probs.dispose();
    this.post({ type: 'prediction', requestId, probabilities: values });
  }

  private async exportCheckpoint(runId: string, kind: 'checkpoint' | 'model'): Promise<void> {
    const live = this.runs.get(runId);
    if (!live) throw new Error(`no run ${runId} to export`);
    if (kind === 'checkpoint' && !live.run) {
      throw new Error('this run holds only a model (loaded from a file): download the model instead');
    }
    const bytes =
      kind === 'checkpoint' && live.run
        ? await captureCheckpoint(live.run)
        : stateDictToSafetensors(await live.model.stateDictData(), {
            model: live.spec.name,
            spec: JSON.stringify(live.spec),
          });
    const fileName = `${runId}${kind === 'checkpoint' ? '-checkpoint' : ''}.safetensors`;
    this.post({ type: 'checkpoint', runId, kind, fileName, bytes });
  }

  /**
   * Loads a file's model to evaluate and draw on: a full checkpoint (which names its spec and
   * normalisation) or a state dict (whose spec is in its metadata, or given by the page).
   */
  private async importCheckpoint(runId: string, bytes: Uint8Array, fallback?: ModelSpec): Promise<void> {
    this.requireBackend();
    const file = decodeSafetensors(bytes);
    const full = file.metadata[CHECKPOINT_KEY] !== undefined ? parseCheckpoint(bytes) : null;
    const named = file.metadata.spec ? (JSON.parse(file.metadata.spec) as ModelSpec) : undefined;
    const spec = full?.meta.spec ?? named ?? this.runs.get(runId)?.spec ?? fallback;
    if (!spec)
      throw new Error('the file does not say which model it holds, and no run is selected to load it into');
    const model = buildModel(spec);
    try {
      model.loadStateDict(full ? full.model : safetensorsToStateDict(bytes));
    } catch (e) {
      for (const t of model.stateDict().values()) t.dispose();
      throw e;
    }
    const mean = full?.meta.config.mean ?? 0.1307;
    const std = full?.meta.config.std ?? 0.3081;
    this.runs.set(runId, {
      id: runId,
      spec,
      model,
      mean,
      std,
      paused: false,
      stopped: true,
      resumeWaiters: [],
    });
    this.post({ type: 'checkpointLoaded', runId, model: spec });
  }
}

/** Builds an image dataset from a user's files: an IDX pair (+ optional test pair) or one CSV. */
async function userDataset(name: string, files: NamedBytes[]): Promise<LoadedData> {
  const base = (f: NamedBytes) => f.name.toLowerCase().replace(/\.gz$/, '');
  if (files.length === 1 && base(files[0]).endsWith('.csv')) {
    const table = await csvDataset(files[0], { name });
    const why = whyNotImages(table);
    if (why) throw new DatasetError(files[0].name, why);
    const train = tabularToImages(table);
    return { name, train };
  }
  const find = (test: boolean, labels: boolean) =>
    files.find((f) => {
      const b = base(f);
      const isTest = /t10k|test/.test(b);
      const isLabels = /label|idx1/.test(b);
      return isTest === test && isLabels === labels;
    });
  const trainImages = find(false, false);
  const trainLabels = find(false, true);
  if (!trainImages || !trainLabels) {
    throw new DatasetError(
      files.map((f) => f.name).join(', '),
      'need a training images file and a training labels file (IDX, e.g. train-images-idx3-ubyte and train-labels-idx1-ubyte), or one CSV file',
    );
  }
  const idx: IdxFiles = {
    trainImages,
    trainLabels,
    testImages: find(true, false),
    testLabels: find(true, true),
  };
  const { train, test } = await idxDatasets(idx, { name });
  return { name, train, test };
}
